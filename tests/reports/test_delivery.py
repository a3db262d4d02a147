"""Stored reports and their emails: GridFS once per run, a local SMTP server, retries."""

from __future__ import annotations

import email.header
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr

from bot.adapters.mongo import MongoStore
from bot.adapters.mongo.email_deliveries import MAX_ATTEMPTS, EmailDeliveries
from bot.adapters.mongo.report_archive import MongoReportArchive
from bot.adapters.report_mail import deliver
from bot.settings import Settings
from reports.archive import run_id
from reports.build import build_files
from reports.data import DayData, ReportKind
from reports.email import parse_smtp_url
from reports.sample import seed_sample
from tests.fakes.smtp import SmtpServer
from tests.reports.conftest import DAY
from workers.report_jobs import BUILD_LOST_AFTER, report_jobs
from workers.report_tasks import build_and_send

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class RecordingQueue:
    def __init__(self) -> None:
        self.builds: list[str] = []
        self.emails: list[str] = []

    async def build(self, report_id: str) -> None:
        self.builds.append(report_id)

    async def email(self, delivery: str) -> None:
        self.emails.append(delivery)


@dataclass
class Reports:
    """The report archive and email deliveries on the test's database, and a recording queue."""

    store: MongoStore
    archive: MongoReportArchive
    deliveries: EmailDeliveries
    queue: RecordingQueue

    async def build_and_send(self, report_id: str, settings: Settings) -> str:
        """The worker's task for ``report_id``, at NOW."""
        return await build_and_send(
            report_id, store=self.store, archive=self.archive, deliveries=self.deliveries,
            settings=settings, clock=lambda: NOW,
        )  # fmt: skip

    async def sweep(self, settings: Settings, at: datetime) -> None:
        """The scheduler's report sweep, run once at ``at``."""
        jobs = report_jobs(settings, self.archive, self.deliveries, self.queue, lambda: at)
        await jobs.interval["report_sweep"][1]()


@pytest.fixture
def reports(mongo_store: MongoStore) -> Reports:
    db = mongo_store.db
    return Reports(mongo_store, MongoReportArchive(db), EmailDeliveries(db), RecordingQueue())


def _subject(message: Message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _smtp_down(settings: Settings) -> Settings:
    """``settings`` with an SMTP URL where nothing listens."""
    return settings.model_copy(update={"smtp_url": SecretStr(f"smtp://127.0.0.1:{_closed_port()}")})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.local:587", ("mail.local", 587, False, None, None, None)),
        ("smtp://mail.local", ("mail.local", 25, False, None, None, None)),
        ("smtp://mail.local:587?starttls=required", ("mail.local", 587, False, True, None, None)),
        (
            "smtps://u%40x.com:p%3Ass@mail.local",
            ("mail.local", 465, True, False, "u@x.com", "p:ss"),
        ),
    ],
)
def test_smtp_url_forms(url: str, expected: tuple[Any, ...]) -> None:
    target = parse_smtp_url(url)
    got = (
        target.hostname,
        target.port,
        target.use_tls,
        target.start_tls,
        target.username,
        target.password,
    )
    assert got == expected


async def test_a_run_is_stored_once_however_many_builds_race(
    mongo_store: MongoStore, settings: Settings, day_data: DayData
) -> None:
    await seed_sample(mongo_store, day_data)
    archive = MongoReportArchive(mongo_store.db)
    unit = settings.units[0].key
    first = await build_files(
        mongo_store, settings, day=DAY, unit=unit, kind=ReportKind.SUMMARY, now=NOW
    )
    second = await build_files(
        mongo_store,
        settings,
        day=DAY,
        unit=unit,
        kind=ReportKind.SUMMARY,
        now=NOW + timedelta(minutes=1),
    )
    stored = await archive.store(first, ReportKind.SUMMARY, NOW)
    again = await archive.store(second, ReportKind.SUMMARY, NOW + timedelta(minutes=1))
    assert stored.id == again.id == run_id(DAY, unit, ReportKind.SUMMARY)
    assert again.created_at == stored.created_at
    assert await mongo_store.db["reports.files"].count_documents({}) == 2  # one PDF, one CSV
    found = await archive.read(stored.id, "pdf")
    assert found is not None
    assert found[1] == first.pdf.data
    assert [r.id for r in await archive.for_day(DAY)] == [stored.id]
    assert await archive.for_day(DAY, "paulista") == []


async def test_the_schedule_builds_stores_and_emails_to_the_units_recipients(
    reports: Reports, settings: Settings, day_data: DayData, smtp_server: SmtpServer
) -> None:
    await seed_sample(reports.store, day_data)
    settings = settings.model_copy(update={"smtp_url": SecretStr(smtp_server.url)})
    jobs = report_jobs(settings, reports.archive, reports.deliveries, reports.queue, lambda: NOW)
    # 07:00 summary, for each unit and the network; 19:00 expected, likewise
    assert len(jobs.cron) == 2 * (len(settings.units) + 1)
    unit = settings.units[0]
    crontab, timezone, fire = jobs.cron[f"report:summary:{unit.key}:1"]
    assert (crontab, timezone) == ("0 7 * * *", "America/Sao_Paulo")
    await fire()
    await fire()  # a second scheduler firing: the same run
    report_id = run_id(DAY, unit.key, ReportKind.SUMMARY)  # NOW is Dec 1st: yesterday
    assert reports.queue.builds == [report_id, report_id]

    assert await reports.build_and_send(report_id, settings) == "sent"
    (message,) = smtp_server.messages
    assert _subject(message) == f"Relatório diário – {unit.name} – 30/11/2026"
    assert message["To"] == ", ".join(unit.report_recipients)
    files = {part.get_filename(): part for part in message.walk() if part.get_filename()}
    pdf = files[f"relatorio-resumo-{unit.key}-2026-11-30.pdf"].get_payload(decode=True)
    assert isinstance(pdf, bytes)
    assert pdf.startswith(b"%PDF")
    assert f"relatorio-resumo-{unit.key}-2026-11-30.csv" in files
    body = message.get_payload()[0].get_payload(decode=True).decode()
    for appointment in day_data.appointments:  # names only in the attachments
        assert appointment.patient_name not in _subject(message) + body
    # a repeat of the task sends nothing more
    await reports.build_and_send(report_id, settings)
    assert len(smtp_server.messages) == 1


async def test_a_failed_email_is_retried_later_and_the_report_is_kept(
    reports: Reports, settings: Settings, day_data: DayData, smtp_server: SmtpServer
) -> None:
    await seed_sample(reports.store, day_data)
    down = _smtp_down(settings)
    archive, deliveries, queue = reports.archive, reports.deliveries, reports.queue
    report_id = run_id(DAY, None, ReportKind.SUMMARY)
    network = down.model_copy(
        update={
            "reports": down.reports.model_copy(
                update={"network_recipients": ["rede@example.com.br"]}
            )
        }
    )
    assert await reports.build_and_send(report_id, network) == "pending"
    (pending,) = await deliveries.for_report(report_id)
    assert pending.attempts == 1
    assert pending.last_error
    assert pending.next_attempt_at is not None
    assert pending.next_attempt_at > NOW
    assert await archive.read(report_id, "pdf") is not None  # nothing lost

    await reports.sweep(network, NOW)
    assert queue.emails == []  # not due yet
    later = pending.next_attempt_at + timedelta(seconds=1)
    await reports.sweep(network, later)
    assert queue.emails == [pending.id]
    up = network.model_copy(update={"smtp_url": SecretStr(smtp_server.url)})
    assert (
        await deliver(pending.id, archive=archive, deliveries=deliveries, settings=up, now=later)
        == "sent"
    )
    assert (
        _subject(smtp_server.messages[0])
        == "Relatório diário – Rede Digitaly de Clínicas – 30/11/2026"
    )


async def test_an_email_that_never_goes_ends_failed(
    reports: Reports, settings: Settings, day_data: DayData
) -> None:
    await seed_sample(reports.store, day_data)
    down = _smtp_down(settings)
    archive, deliveries = reports.archive, reports.deliveries
    report_id = run_id(DAY, settings.units[0].key, ReportKind.EXPECTED)
    await reports.build_and_send(report_id, down)
    (delivery,) = await deliveries.for_report(report_id)
    now = NOW
    for _ in range(MAX_ATTEMPTS - 1):
        now += timedelta(hours=2)
        state = await deliver(
            delivery.id, archive=archive, deliveries=deliveries, settings=down, now=now
        )
    assert state == "failed"
    assert (await deliveries.get(delivery.id)).state == "failed"  # type: ignore[union-attr]
    assert await deliveries.due(now + timedelta(days=1)) == []
    assert await archive.read(report_id, "csv") is not None


async def test_a_lost_build_task_is_kicked_again(reports: Reports, settings: Settings) -> None:
    requested = await reports.archive.request(DAY, None, ReportKind.SUMMARY, NOW)
    await reports.sweep(settings, NOW + BUILD_LOST_AFTER / 2)
    assert reports.queue.builds == []
    late = NOW + BUILD_LOST_AFTER + timedelta(seconds=1)
    await reports.sweep(settings, late)
    await reports.sweep(settings, late)
    assert reports.queue.builds == [requested.id]  # re-kicked once, then it waits again


class _AuthHandler:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_with_auth() -> Iterator[tuple[str, _AuthHandler]]:
    port = _closed_port()

    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"relatorios",
            b"s3cr:et",
        )
        return AuthResult(success=ok)

    handler = _AuthHandler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=check,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    yield f"smtp://relatorios:s3cr%3Aet@127.0.0.1:{port}", handler
    controller.stop()


# A test server without TLS: aiosmtpd warns that AUTH then goes in clear.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_smtp_auth_from_the_url(
    reports: Reports,
    settings: Settings,
    day_data: DayData,
    smtp_with_auth: tuple[str, _AuthHandler],
) -> None:
    url, handler = smtp_with_auth
    await seed_sample(reports.store, day_data)
    with_auth = settings.model_copy(update={"smtp_url": SecretStr(url)})
    report_id = run_id(DAY, settings.units[0].key, ReportKind.SUMMARY)
    assert await reports.build_and_send(report_id, with_auth) == "sent"
    assert len(handler.messages) == 1
