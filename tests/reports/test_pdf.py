"""Built reports read back: the PDF's text and page 1 as a PNG, the CSV as Excel reads it."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2
from pypdf import PdfReader

from bot.adapters.mongo import MongoStore
from bot.settings import Settings
from reports.build import BuiltReport, build_files
from reports.csv import HEADER
from reports.data import DayData, ReportKind
from reports.sample import sample_day, seed_sample
from reports.text import format_int
from tests.reports.conftest import DAY, units

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def _build(
    store: MongoStore, settings: Settings, data: DayData, unit: str | None
) -> BuiltReport:
    await seed_sample(store, data)
    return await build_files(store, settings, day=DAY, unit=unit, kind=ReportKind.SUMMARY, now=NOW)


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def _page_one_png(pdf: bytes, name: str) -> Path:
    """Page 1 as a PNG under tests/artifacts/ (git-ignored), for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=150 / 72).to_pil()
    finally:
        document.close()
    target = ARTIFACTS / name
    image.save(target)
    (ARTIFACTS / name.replace(".png", ".pdf")).write_bytes(pdf)
    return target


async def test_the_network_pdf_lists_every_confirmed_patient_with_accents(
    mongo_store: MongoStore, settings: Settings, day_data: DayData
) -> None:
    built = await _build(mongo_store, settings, day_data, None)
    pages, text = _text(built.pdf.data)
    assert pages == built.pdf.pages >= 2
    assert f"Página 1 de {pages}" in text
    assert f"Página {pages} de {pages}" in text
    assert "segunda-feira, 30 de novembro de 2026" in text
    assert "Rede Digitaly de Clínicas" in text
    assert "Lista de presença" in text
    assert "Lista de ausentes" in text
    assert "Estatísticas" in text
    flat = re.sub(r"\s+", " ", text)
    confirmed = built.report.presence
    assert confirmed
    for line in confirmed:
        assert line.patient_name in flat, line.patient_name
    for line in built.report.absences:
        assert line.patient_name in flat, line.patient_name
    # accents as written, not mangled into ? or boxes
    assert "Conceição" in flat or "Peçanha" in flat or "Gonçalves" in flat
    assert "?" not in "".join(line.patient_name for line in confirmed)


async def test_totals_in_the_pdf_match_the_data(
    mongo_store: MongoStore, settings: Settings, day_data: DayData
) -> None:
    built = await _build(mongo_store, settings, day_data, None)
    _, text = _text(built.pdf.data)
    totals = built.report.totals
    expected_confirmed = sum(1 for a in day_data.appointments if a.status.value == "confirmed")
    assert totals.appointments == len(day_data.appointments)
    assert totals.confirmed == expected_confirmed
    assert f"Lista de presença ({format_int(len(built.report.presence))})" in text
    assert f"Lista de ausentes ({format_int(len(built.report.absences))})" in text
    # the statistics' Total rows: the figures follow "Total" one per line in extraction order
    lines = text.splitlines()
    totals_rows = [lines[n + 1 : n + 3] for n, line in enumerate(lines) if line.strip() == "Total"]
    assert [str(totals.appointments), str(totals.confirmed)] in totals_rows, totals_rows
    reminders = [lines[n + 1] for n, line in enumerate(lines) if line.strip() == "Total"]
    assert str(totals.reminders_sent) in reminders
    png = _page_one_png(built.pdf.data, "report-network-page1.png")
    assert png.stat().st_size > 20_000


async def test_a_units_report_holds_only_that_unit(
    mongo_store: MongoStore, settings: Settings, day_data: DayData
) -> None:
    unit = settings.units[0]
    built = await _build(mongo_store, settings, day_data, unit.key)
    _, text = _text(built.pdf.data)
    assert unit.name in text
    assert {line.unit for line in built.report.lines} == {unit.key}
    assert built.report.totals.appointments == sum(
        1 for a in day_data.appointments if a.unit == unit.key
    )
    _page_one_png(built.pdf.data, f"report-{unit.key}-page1.png")


async def test_the_csv_opens_in_excel_brazil(
    mongo_store: MongoStore, settings: Settings, day_data: DayData
) -> None:
    built = await _build(mongo_store, settings, day_data, None)
    assert built.csv.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    rows = list(csv.reader(io.StringIO(built.csv.decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0]) == HEADER
    assert len(rows) == 1 + len(day_data.appointments)
    assert b"\r\n" in built.csv
    names = {row[5] for row in rows[1:]}
    assert names == {a.patient_name for a in day_data.appointments}
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", row[1]) for row in rows[1:])
    assert not any(a.phone in built.csv.decode("utf-8-sig") for a in day_data.appointments)


async def test_failed_cancellations_by_time_with_the_time_whole_and_headers_unbroken(
    mongo_store: MongoStore, settings: Settings
) -> None:
    day_data = sample_day(DAY, units(settings), 200, seed=5)
    # Every pending cancellation failed at the robot, acknowledged in no time order.
    robot_failed = [
        replace(c, result="failed", detail="horário já ocupado", acked_at=c.requested_at)
        if c.result is None
        else c
        for c in reversed(day_data.cancellations)
    ]
    built = await _build(mongo_store, settings, replace(day_data, cancellations=robot_failed), None)
    failed = built.report.failed_cancellations
    assert len(failed) >= 2, "the sample day needs cancellations the robot could not apply"
    assert [line.starts_at for line in failed] == sorted(line.starts_at for line in failed)
    _, text = _text(built.pdf.data)
    section = text[text.index("Cancelamentos que o robô não conseguiu aplicar") :]
    zone = built.report.zone
    times = [line.starts_at.astimezone(zone).strftime("%d/%m/%Y %H:%M") for line in failed]
    positions = [section.index(t) for t in times]  # whole, never "14:…"
    assert positions == sorted(positions)
    words = set(re.findall(r"\w+", text))
    assert "confirmação" in words  # the header "Taxa de confirmação" keeps its word whole
    document = pypdfium2.PdfDocument(built.pdf.data)
    try:
        for n in range(len(document)):
            page = document[n].get_textpage().get_text_range()
            if "Cancelamentos que o robô" in page or "Taxa de confirmação" in page.replace(
                "\r\n", " "
            ):
                ARTIFACTS.mkdir(exist_ok=True)
                image = document[n].render(scale=150 / 72).to_pil()
                image.save(ARTIFACTS / f"report-page-{n + 1}.png")
    finally:
        document.close()
