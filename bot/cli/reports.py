"""``digitaly reports build``: a day's report as a PDF or CSV file."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from bot.adapters.memory import MemoryStore
from bot.adapters.mongo import open_store
from bot.clock import utcnow
from bot.core.errors import NotFoundError
from bot.settings import Settings
from reports.build import NETWORK, BuiltReport, build_files, render_files, scope_for
from reports.data import ReportKind
from reports.sample import SampleUnit, sample_day, seed_sample

__all__ = ["reports_group"]

_SHOW_AFTER_SECONDS = 0.5


class _LazyBar:
    """A progress bar on stderr that appears only once a build takes more than a moment."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.bar: Any = None
        self.shown = 0

    def __call__(self, fraction: float) -> None:
        if self.bar is None:
            if time.monotonic() - self.started < _SHOW_AFTER_SECONDS:
                return
            self.bar = click.progressbar(length=100, label="Gerando relatório", file=sys.stderr)
            self.bar.__enter__()
        percent = int(fraction * 100)
        if percent > self.shown:
            self.bar.update(percent - self.shown)
            self.shown = percent

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


async def _build_from_db(settings: Settings, **options: Any) -> BuiltReport:
    async with open_store(settings) as opened:
        return await build_files(opened.store, settings, **options)


async def _build_from_sample(settings: Settings, size: int, **options: Any) -> BuiltReport:
    units = [SampleUnit(u.key, u.timezone, u.whatsapp_sender) for u in settings.units]
    if not units:
        raise click.UsageError("config.yaml has no units to make sample data for")
    data = sample_day(options["day"], units, size)
    if size <= 1000:  # small enough to go through the store's reads like production
        store = MemoryStore()
        await seed_sample(store, data)
        return await build_files(store, settings, **options)
    return await render_files(data, settings, **options)


@click.group("reports")
def reports_group() -> None:
    """Daily reports: attendance, absentees, statistics."""


@reports_group.command("build")
@click.option(
    "--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="The day, YYYY-MM-DD."
)
@click.option("--unit", default=None, help="A unit key from config.yaml (default: every unit).")
@click.option(
    "--kind",
    type=click.Choice([k.value for k in ReportKind]),
    default=ReportKind.SUMMARY.value,
    show_default=True,
    help="summary: the day's outcome; expected: the attendance list ahead of the day.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["pdf", "csv"]), default="pdf", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write it ('-' for standard output). Default: a name in this folder.")  # fmt: skip
@click.option("--demo", "demo_size", type=int, default=None, metavar="N",
              help="Use N made-up appointments instead of the database (a preview).")  # fmt: skip
def build_command(
    day: datetime, unit: str | None, kind: str, fmt: str, out: Path | None, demo_size: int | None
) -> None:
    """Build the report of one day from what the conversations and deliveries recorded."""
    from bot.cli import load_or_exit, resolved_settings

    settings = load_or_exit()
    unit = None if unit in (None, NETWORK) else unit
    try:
        scope_for(settings, unit)
    except NotFoundError as exc:
        raise click.BadParameter(str(exc), param_hint="--unit") from None
    options: dict[str, Any] = {
        "day": date(day.year, day.month, day.day),
        "unit": unit,
        "kind": ReportKind(kind),
        "now": utcnow(),
    }
    bar = _LazyBar()
    options["progress"] = bar
    try:
        if demo_size is not None:
            built = asyncio.run(_build_from_sample(settings, demo_size, **options))
        else:
            with resolved_settings(settings) as resolved:
                built = asyncio.run(_build_from_db(resolved, **options))
    finally:
        bar.close()
    data = built.pdf.data if fmt == "pdf" else built.csv
    if out is not None and str(out) == "-":
        sys.stdout.buffer.write(data)
        return
    name = "presenca-prevista" if kind == ReportKind.EXPECTED.value else "resumo"
    target = out or Path(f"relatorio-{name}-{unit or NETWORK}-{options['day']}.{fmt}")
    target.write_bytes(data)
    totals = built.report.totals
    pages = f", {built.pdf.pages} página(s)" if fmt == "pdf" else ""
    click.echo(
        f"{target}: {totals.appointments} consulta(s), {totals.confirmed} confirmada(s){pages}",
        err=True,
    )
