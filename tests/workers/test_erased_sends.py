"""A send task already in the taskiq queue when its patient is erased sends nothing.

A real in-process worker on the real Redis-wire server, MongoDB-wire server and the
fake Twilio: the task is kicked while no worker runs, the patient is erased, then a
worker starts and takes it.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from bot.adapters.mongo import MongoStore
from bot.adapters.mongo.privacy import erase_patient
from bot.adapters.queue import TaskiqQueue
from bot.core.outbox import ERASED
from bot.core.ports import OutboxState
from bot.settings import Settings
from tests.adapters.test_twilio_messenger import twilio_settings
from tests.fakes.twilio import FakeTwilio
from tests.workers.test_send_task import PHONE, _add, _settled
from workers.broker import create_broker
from workers.runtime import run_worker
from workers.tasks import register_tasks

OTHER = "+5511987650000"


async def test_a_task_queued_before_the_erasure_sends_nothing(
    settings: Settings,
    mongo_store: MongoStore,
    redis: Redis,
    fake_twilio: tuple[FakeTwilio, str],
) -> None:
    fake, url = fake_twilio
    settings = twilio_settings(settings, url, request_timeout=timedelta(seconds=1))
    store = mongo_store
    await _add(store, "c1:reminder", "reminder")
    await _add(store, "c2:reminder", "reminder", phone=OTHER)
    kick_broker = create_broker(settings)
    queue = TaskiqQueue(kick_broker)
    await queue.enqueue_send("c1:reminder")  # in Redis, no worker yet
    await queue.enqueue_send("c2:reminder")  # behind it: another patient's

    erased = await erase_patient(
        store.db, store.sealer, PHONE, at=datetime.now(UTC), key="test-privacy-key"
    )
    assert erased["outbox_cancelled"] == 1

    worker_broker = create_broker(settings)
    register_tasks(worker_broker, settings)
    stop = asyncio.Event()
    # One task at a time, in queue order: once the other patient's is sent, ours was taken.
    worker = asyncio.create_task(run_worker(worker_broker, stop, max_async_tasks=1))
    try:
        other = await _settled(store, "c2:reminder")
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(worker, 15)
        await kick_broker.shutdown()

    assert other.state is OutboxState.SENT
    assert fake.keys() == {"c2:reminder": 1}
    entry = await store.outbox.get("c1:reminder")
    assert entry is not None
    assert (entry.state, entry.failure) == (OutboxState.FAILED, ERASED.reason)
