"""The send task in a real (in-process) taskiq worker, with the sweeper job, Mongo and fake Twilio."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from bot.adapters.mongo import MongoStore
from bot.adapters.queue import TaskiqQueue
from bot.core.model import AppointmentStatus
from bot.core.ports import OutboxEntry, OutboxState
from bot.services.outbox import list_dead_letters
from bot.settings import Settings
from tests import builders
from tests.adapters.test_twilio_messenger import REMINDER_SID, twilio_settings
from tests.fakes.twilio import FakeTwilio
from workers.broker import create_broker
from workers.jobs import create_jobs
from workers.runtime import run_worker
from workers.tasks import register_tasks

NOW = datetime.now(UTC)
PHONE = "+5511987654321"
VARIABLES = {"1": "Conceição", "2": "sua consulta", "3": "Dra. Ana", "4": "amanhã", "5": "Centro"}


@pytest.fixture
async def running(
    settings: Settings,
    mongo_store: MongoStore,
    redis: Redis,
    fake_twilio: tuple[FakeTwilio, str],
) -> AsyncIterator[tuple[MongoStore, TaskiqQueue, FakeTwilio]]:
    """A worker and the outbox sweeper running in this loop until the test ends."""
    fake, url = fake_twilio
    settings = twilio_settings(
        settings,
        url,
        max_attempts=3,
        request_timeout=timedelta(seconds=1),
        backoff_base=timedelta(milliseconds=50),
        backoff_cap=timedelta(milliseconds=200),
    )
    worker_broker, kick_broker = create_broker(settings), create_broker(settings)
    register_tasks(worker_broker, settings)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(worker_broker, stop, max_async_tasks=5))

    async def sweep_forever() -> None:
        async with create_jobs(settings, kick_broker) as jobs:
            _, job = jobs.interval["outbox_sweep"]
            while True:
                await job()
                await asyncio.sleep(0.2)

    sweeper = asyncio.create_task(sweep_forever())
    try:
        yield mongo_store, TaskiqQueue(kick_broker), fake
    finally:
        stop.set()
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await asyncio.wait_for(worker, 15)
        await kick_broker.shutdown()


async def _settled(store: MongoStore, key: str) -> OutboxEntry:
    for _ in range(150):
        entry = await store.outbox.get(key)
        assert entry is not None
        if entry.state in {OutboxState.SENT, OutboxState.FAILED, OutboxState.DEAD}:
            return entry
        await asyncio.sleep(0.1)
    raise AssertionError(f"{key} still {entry.state}")


async def _add(store: MongoStore, key: str, kind: str, phone: str = PHONE) -> None:
    await store.outbox.add(
        OutboxEntry(
            key=key,
            conversation_id="c1",
            phone=phone,
            sender="whatsapp:+5511930000001",
            kind=kind,
            text="Olá",
            created_at=datetime.now(UTC),
            content_sid=REMINDER_SID,
            variables=VARIABLES,
            expires_at=datetime.now(UTC) + timedelta(hours=2),
        )
    )


async def test_sent_once_with_template_callback_and_validity(
    running: tuple[MongoStore, TaskiqQueue, FakeTwilio],
) -> None:
    store, queue, fake = running
    await _add(store, "c1:reminder", "reminder")
    await queue.enqueue_send("c1:reminder")
    await queue.enqueue_send("c1:reminder")  # a duplicate hand-off changes nothing
    entry = await _settled(store, "c1:reminder")
    assert (entry.state, entry.provider_sid) == (OutboxState.SENT, fake.messages[0].sid)
    assert fake.keys() == {"c1:reminder": 1}
    form = fake.messages[0].form
    assert (form["ContentSid"], form["To"]) == (REMINDER_SID, "whatsapp:" + PHONE)
    assert 7_000 < int(form["ValidityPeriod"]) <= 7_200


async def test_permanent_error_puts_the_patient_on_the_call_list_and_exhaustion_is_listed(
    running: tuple[MongoStore, TaskiqQueue, FakeTwilio],
) -> None:
    store, queue, fake = running
    await store.appointments.upsert(
        builders.appointment(phone=PHONE, starts_at=NOW + timedelta(days=1), doctor="Dra. Cláudia")
    )
    await store.conversations.create(
        builders.conversation(phone=PHONE, state="reminded", created_at=NOW, updated_at=NOW)
    )
    fake.fail_next("error", code=63024)  # not on WhatsApp: permanent
    await _add(store, "c1:reminder", "reminder")
    await queue.enqueue_send("c1:reminder")
    entry = await _settled(store, "c1:reminder")
    assert (entry.state, entry.error_code) == (OutboxState.FAILED, 63024)
    appointment = await store.appointments.get("a1")
    assert appointment is not None
    assert appointment.status is AppointmentStatus.DELIVERY_FAILED

    fake.fail_next("429", times=3, retry_after=0)
    await _add(store, "c1:reply", "reply")
    await queue.enqueue_send("c1:reply")
    entry = await _settled(store, "c1:reply")
    assert (entry.state, entry.attempts, entry.error_code) == (OutboxState.DEAD, 3, 20429)
    [letter] = await list_dead_letters(store)
    assert (letter.key, letter.attempts, letter.error_code) == ("c1:reply", 3, 20429)
    assert letter.reason == "gave up after 3 attempts (last: http 429, code 20429)"
    assert len(fake.requests) == 4
