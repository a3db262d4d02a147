"""Building a day's report from the Store: load, compute (pure), render.

A unit's report cuts the day in the unit's timezone; the network's report
(``unit=None``) covers every unit, in the first unit's timezone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, TypedDict, Unpack

from bot.core.errors import NotFoundError
from bot.core.ports import Store
from bot.settings import Settings
from reports.csv import render_csv
from reports.data import TREND_DAYS, DailyReport, DayData, ReportKind, build_report, day_bounds

if TYPE_CHECKING:
    from reports.pdf import RenderedPdf

__all__ = [
    "BuiltReport", "Progress", "ReportOptions", "ReportScope", "build_files", "load_day",
    "render_files", "scope_for",
]  # fmt: skip

DEFAULT_TIMEZONE = "America/Sao_Paulo"
NETWORK = "rede"  # how the network's report is named where a unit key would go

# Called with the fraction done (0 to 1) as a build advances: the CLI's progress bar.
Progress = Callable[[float], None]


class ReportOptions(TypedDict):
    """Which report to build: its day, unit (None: the network), kind, and when it is built."""

    day: date
    unit: str | None
    kind: ReportKind
    now: datetime


@dataclass(frozen=True, slots=True)
class ReportScope:
    unit: str | None  # None: the whole network
    name: str
    timezone: str
    recipients: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BuiltReport:
    report: DailyReport
    pdf: RenderedPdf
    csv: bytes


def scope_for(settings: Settings, unit: str | None) -> ReportScope:
    """The unit's name, timezone and recipients; the network's when ``unit`` is None."""
    if unit is None:
        timezone = settings.units[0].timezone if settings.units else DEFAULT_TIMEZONE
        recipients = tuple(settings.reports.network_recipients)
        return ReportScope(None, "Todas as unidades", timezone, recipients)
    found = settings.unit(unit)
    if found is None:
        known = ", ".join(u.key for u in settings.units) or "none configured"
        raise NotFoundError(f"unknown unit {unit!r} (units: {known})")
    return ReportScope(found.key, found.name, found.timezone, tuple(found.report_recipients))


async def load_day(store: Store, day: date, scope: ReportScope) -> DayData:
    """Everything the report of ``day`` reads, in six queries."""
    start, end = day_bounds(day, scope.timezone)
    appointments = await store.appointments.between(start, end, scope.unit)
    ids = [a.id for a in appointments]
    conversations = await store.conversations.for_appointments(ids)
    outbox = await store.outbox.for_conversations([c.id for c in conversations])
    cancellations = await store.cancellations.for_appointments(ids)
    history = await store.appointments.status_times(
        start - timedelta(days=TREND_DAYS - 1), start, scope.unit
    )
    moves = await store.reschedules.for_appointments(ids)
    filled = await store.waitlist.filled_between(start, end)
    return DayData(appointments, conversations, outbox, cancellations, history, moves, filled)


async def build_files(
    store: Store,
    settings: Settings,
    *,
    progress: Progress | None = None,
    **options: Unpack[ReportOptions],
) -> BuiltReport:
    """Load the day for the unit (None: the network) and render it as PDF and CSV."""
    step = progress or (lambda fraction: None)
    step(0.0)
    data = await load_day(store, options["day"], scope_for(settings, options["unit"]))
    step(0.2)
    return await render_files(
        data, settings, progress=lambda done: step(0.2 + 0.8 * done), **options
    )


async def render_files(
    data: DayData,
    settings: Settings,
    *,
    progress: Progress | None = None,
    **options: Unpack[ReportOptions],
) -> BuiltReport:
    """Compute the report from loaded data and render it as PDF and CSV.

    Rendering is CPU work: it runs in a thread so the event loop keeps serving.
    """
    step = progress or (lambda fraction: None)
    scope = scope_for(settings, options["unit"])
    report = build_report(
        data,
        kind=options["kind"],
        day=options["day"],
        clinic=settings.clinic.name,
        scope=scope.name,
        unit=scope.unit,
        timezone=scope.timezone,
        unit_names={u.key: u.name for u in settings.units},
        generated_at=options["now"],
    )
    step(0.05)
    # Imported here: reportlab is megabytes a web process never needs unless it builds one.
    from reports.pdf import render_pdf

    pdf = await asyncio.to_thread(render_pdf, report, lambda done: step(0.05 + 0.9 * done))
    csv = render_csv(report)
    step(1.0)
    return BuiltReport(report, pdf, csv)
