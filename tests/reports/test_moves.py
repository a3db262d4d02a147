"""Rescheduling in the chat, in the daily report: from the stores to the statistics and the PDF."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pypdfium2

from bot.adapters.mongo import MongoStore
from bot.core.model import Reschedule, RescheduleState
from bot.settings import Settings
from reports.data import DayData, ReportKind, build_report
from reports.moves import MoveStats
from tests.reports.conftest import DAY
from tests.reports.test_pdf import ARTIFACTS, NOW, _build, _text

# (state, detail) of the moves away from the sample day's first appointments
_MOVES = [
    (RescheduleState.APPLIED, "remarcado"),
    (RescheduleState.APPLIED, "remarcado"),
    (RescheduleState.FAILED, "horário ocupado"),
    (RescheduleState.EXPIRED, ""),
    (RescheduleState.HELD, ""),
]


def _with_moves(data: DayData) -> DayData:
    moves = [
        Reschedule(
            id=f"m{n}",
            appointment_id=appointment.id,
            external_id=appointment.external_id,
            slot_id=f"vaga-{n}",
            slot_external_id=f"VAGA-{n}",
            conversation_id=f"c-{appointment.id}",
            requested_at=NOW - timedelta(hours=3),
            hold_until=NOW + timedelta(hours=1) if state is not RescheduleState.EXPIRED else NOW,
            state=state,
            detail=detail,
        )
        for n, ((state, detail), appointment) in enumerate(
            zip(_MOVES, data.appointments, strict=False)
        )
    ]
    # A move away from another day's appointment is not this day's.
    other = replace(moves[0], id="m-other", appointment_id="not-this-day")
    return replace(data, reschedules=[*moves, other])


async def test_moves_reach_the_statistics_and_the_pdf(
    mongo_store: MongoStore, settings: Settings, day_data: DayData
) -> None:
    built = await _build(mongo_store, settings, _with_moves(day_data), None)
    assert built.report.moves == MoveStats(requested=5, applied=2, failed=1, expired=1, waiting=1)
    _, text = _text(built.pdf.data)
    section = text[text.index("Remarcações pelo WhatsApp") :]
    assert "Aplicadas pelo robô" in section
    assert "Reservas vencidas" in section
    figures = section.split("Aguardando o robô", 1)[1].split()[:5]
    assert figures == ["5", "2", "1", "1", "1"]


async def test_a_units_report_counts_only_moves_from_its_appointments(
    mongo_store: MongoStore, settings: Settings, day_data: DayData
) -> None:
    data = _with_moves(day_data)
    unit = data.appointments[0].unit
    mine = [a.id for a in data.appointments[: len(_MOVES)] if a.unit == unit]
    built = await _build(mongo_store, settings, data, unit)
    assert built.report.moves.requested == len(mine) < len(_MOVES)


def test_a_day_without_moves_says_so(settings: Settings, day_data: DayData) -> None:
    report = build_report(
        day_data, kind=ReportKind.SUMMARY, day=DAY, clinic="Clínica", scope="Rede", unit=None,
        timezone="America/Sao_Paulo", unit_names={}, generated_at=NOW,
    )  # fmt: skip
    assert report.moves == MoveStats()
    assert not report.moves.any


async def test_the_pdf_page_with_the_moves_for_a_person_to_look_at(
    mongo_store: MongoStore, settings: Settings, day_data: DayData
) -> None:
    built = await _build(mongo_store, settings, _with_moves(day_data), None)
    document = pypdfium2.PdfDocument(built.pdf.data)
    try:
        pages = [
            n
            for n in range(len(document))
            if "Remarcações pelo WhatsApp" in document[n].get_textpage().get_text_range()
        ]
        assert len(pages) == 1
        ARTIFACTS.mkdir(exist_ok=True)
        image = document[pages[0]].render(scale=150 / 72).to_pil()
        image.save(ARTIFACTS / "report-moves.png")
    finally:
        document.close()
