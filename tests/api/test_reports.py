"""The robot fetches reports: list a day's, download the PDF or the CSV (scope reports:read)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from bot.adapters.mongo.report_archive import MongoReportArchive
from bot.settings import Settings
from bot.web.keys import DB, STORE
from reports.build import build_files
from reports.data import DayData, ReportKind
from reports.sample import sample_day, seed_sample
from tests.api.conftest import Client, MakeToken
from tests.reports.conftest import DAY, units

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def day_data(settings: Settings) -> DayData:
    return sample_day(DAY, units(settings), 30, seed=5)


async def _stored(client: Client, settings: Settings, data: DayData) -> str:
    store = client.app[STORE]
    await seed_sample(store, data)
    unit = settings.units[0].key
    built = await build_files(store, settings, day=DAY, unit=unit, kind=ReportKind.SUMMARY, now=NOW)
    stored = await MongoReportArchive(client.app[DB]).store(built, ReportKind.SUMMARY, NOW)
    return stored.id


async def test_list_and_download(
    client: Client, make_token: MakeToken, settings: Settings, day_data: DayData
) -> None:
    report_id = await _stored(client, settings, day_data)
    auth = await make_token("robot", ("reports:read",))

    listed = await client.get("/api/v1/reports", params={"date": "2026-11-30"}, headers=auth)
    assert listed.status == 200
    (item,) = (await listed.json())["items"]
    assert item["id"] == report_id
    assert item["unit"] == settings.units[0].key
    assert set(item["formats"]) == {"pdf", "csv"}
    for appointment in day_data.appointments:  # the list carries no patient data
        assert appointment.patient_name not in await listed.text()

    pdf = await client.get(f"/api/v1/reports/{report_id}", headers=auth)
    assert pdf.status == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    body = await pdf.read()
    assert body.startswith(b"%PDF")
    assert hashlib.sha256(body).hexdigest() == item["formats"]["pdf"]["sha256"]

    sheet = await client.get(f"/api/v1/reports/{report_id}", params={"format": "csv"}, headers=auth)
    assert sheet.status == 200
    assert (await sheet.read()).startswith(b"\xef\xbb\xbf")

    other = await client.get(
        "/api/v1/reports", params={"date": "2026-11-30", "unit": "paulista"}, headers=auth
    )
    assert (await other.json())["items"] == []


async def test_errors_and_scope(client: Client, make_token: MakeToken) -> None:
    auth = await make_token("robot", ("reports:read",))
    assert (
        await client.get("/api/v1/reports", params={"date": "30/11/2026"}, headers=auth)
    ).status == 422
    assert (await client.get("/api/v1/reports", headers=auth)).status == 422
    missing = await client.get("/api/v1/reports/2026-11-30.centro.summary", headers=auth)
    assert missing.status == 404
    bad_format = await client.get(
        "/api/v1/reports/2026-11-30.centro.summary", params={"format": "xls"}, headers=auth
    )
    assert bad_format.status == 422
    other = await make_token("other", ("cancellations:read",))
    assert (
        await client.get("/api/v1/reports", params={"date": "2026-11-30"}, headers=other)
    ).status == 403
    assert (await client.get("/api/v1/reports", params={"date": "2026-11-30"})).status == 401
