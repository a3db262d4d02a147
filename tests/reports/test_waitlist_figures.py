"""The report's waitlist figures: freed times refilled from the waitlist, median time to refill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.adapters.mongo import MongoStore
from bot.core.model import Opening, OpeningState
from bot.settings import Settings
from reports.build import build_files
from reports.data import ReportKind
from reports.waitlist import WaitlistFigures, waitlist_figures
from tests.reports.conftest import DAY
from tests.reports.test_pdf import NOW, _text

START = datetime(2026, 11, 30, 3, tzinfo=UTC)  # the day in São Paulo
END = START + timedelta(days=1)


def _opening(n: int, minutes: int, **changes: object) -> Opening:
    cancelled = START + timedelta(hours=n)
    fields: dict[str, object] = {
        "id": f"x{n}",
        "appointment_id": f"x{n}",
        "cancelled_at": cancelled,
        "state": OpeningState.FILLED,
        "unit": "centro",
        "settled_at": cancelled + timedelta(minutes=minutes),
        "offer_id": f"x{n}.a{n}",
        **changes,
    }
    return Opening(**fields)  # type: ignore[arg-type]


def test_refilled_counts_waitlist_fills_of_the_day_and_takes_the_median() -> None:
    openings = [
        _opening(1, 10),
        _opening(2, 30),
        _opening(3, 50),
        _opening(4, 5, offer_id=""),  # a rescheduling patient took it: not the waitlist
        _opening(5, 5, unit="paulista"),
        _opening(6, 5, state=OpeningState.WITHDRAWN),
        _opening(7, 5, settled_at=END + timedelta(minutes=1)),  # the next day
    ]
    assert waitlist_figures(openings, START, END, "centro") == WaitlistFigures(3, 30 * 60.0)
    network = waitlist_figures(openings, START, END, None)
    assert (network.refilled, network.median_seconds) == (4, 20 * 60.0)
    assert waitlist_figures([], START, END, None) == WaitlistFigures(0, None)


async def test_the_pdf_says_how_many_freed_times_the_waitlist_refilled(
    mongo_store: MongoStore, settings: Settings
) -> None:
    for opening in (_opening(1, 10), _opening(2, 30)):
        await mongo_store.waitlist.add_opening(opening)
    built = await build_files(
        mongo_store, settings, day=DAY, unit=None, kind=ReportKind.SUMMARY, now=NOW
    )
    assert built.report.waitlist == WaitlistFigures(2, 20 * 60.0)
    _, text = _text(built.pdf.data)
    flat = " ".join(text.split())
    assert "Horários desmarcados preenchidos pela lista de espera: 2." in flat
    assert "Tempo mediano do cancelamento ao preenchimento: 20 min." in flat


async def test_a_day_without_refills_says_so(mongo_store: MongoStore, settings: Settings) -> None:
    built = await build_files(
        mongo_store, settings, day=DAY, unit=None, kind=ReportKind.SUMMARY, now=NOW
    )
    assert built.report.waitlist == WaitlistFigures()
    _, text = _text(built.pdf.data)
    assert "Nenhum horário desmarcado foi preenchido pela lista de espera" in " ".join(text.split())
