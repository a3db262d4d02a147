"""The task queue on a real Redis-wire server: what is unfinished, and trimming what is done."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from taskiq import AckableMessage
from taskiq_redis import RedisStreamBroker

from bot.adapters.queue import TaskiqQueue
from bot.settings import Settings
from workers.broker import create_broker

CLOSE = timedelta(seconds=1)


@pytest.fixture
async def brokers(
    settings: Settings, redis: Redis
) -> AsyncIterator[tuple[RedisStreamBroker, RedisStreamBroker]]:
    """A kicking broker and a worker's broker on a stream of the test's own."""
    name = f"digitaly:test:{uuid.uuid4().hex[:8]}"
    kick, worker = create_broker(settings, queue=name), create_broker(settings, queue=name)
    yield kick, worker
    await kick.shutdown()
    await worker.shutdown()


async def _take(messages: AsyncIterator[AckableMessage]) -> AckableMessage:
    return await asyncio.wait_for(anext(messages), 5)


async def test_unfinished_is_waiting_or_taken_and_trim_keeps_exactly_those(
    brokers: tuple[RedisStreamBroker, RedisStreamBroker], redis: Redis
) -> None:
    kick, worker = brokers
    queue = TaskiqQueue(kick)
    assert await queue.oldest_unfinished() is None  # no stream yet
    assert await queue.trim_finished() == 0

    handed: list[datetime] = []
    for key in ("first", "second", "third"):
        handed.append(datetime.now(UTC))
        await queue.enqueue_send(key)
        await asyncio.sleep(0.05)
    # No worker has read yet: the first waits.
    assert await queue.oldest_unfinished() == pytest.approx(handed[0], abs=CLOSE)

    await worker.startup()
    messages = worker.listen()
    taken = await _take(messages)  # the worker reads what is there; the first is running
    first = await queue.oldest_unfinished()
    assert first == pytest.approx(handed[0], abs=CLOSE)
    await taken.ack()  # type: ignore[misc]
    second = await queue.oldest_unfinished()  # taken too (read in the same batch), not acked
    assert first is not None
    assert second is not None
    assert second > first
    assert second == pytest.approx(handed[1], abs=CLOSE)

    assert await queue.trim_finished() == 1  # the first, finished
    assert await redis.xlen(kick.queue_name) == 2
    for _ in range(2):
        await (await _take(messages)).ack()  # type: ignore[misc]
    assert await queue.oldest_unfinished() is None
    assert await queue.trim_finished() == 2
    assert await redis.xlen(kick.queue_name) == 0

    await queue.enqueue_send("fourth")  # after everything was trimmed: waits, is counted
    assert await queue.oldest_unfinished() == pytest.approx(datetime.now(UTC), abs=CLOSE)
    assert await queue.trim_finished() == 0
    await redis.flushdb()  # Redis lost everything: nothing is unfinished any more
    assert await queue.oldest_unfinished() is None


async def test_a_dead_workers_tasks_are_not_waiting_for_anyone(
    brokers: tuple[RedisStreamBroker, RedisStreamBroker],
) -> None:
    kick, worker = brokers
    queue = TaskiqQueue(kick, gone_after=timedelta(milliseconds=300))
    await queue.enqueue_send("taken-by-a-worker-that-dies")
    await worker.startup()
    messages = worker.listen()
    await _take(messages)  # taken, never acknowledged: the worker stops asking for more
    assert await queue.oldest_unfinished() is not None
    await asyncio.sleep(0.5)
    assert await queue.oldest_unfinished() is None  # lost: the sweeper may hand it out again
    await queue.enqueue_send("new")
    assert await queue.oldest_unfinished() == pytest.approx(datetime.now(UTC), abs=CLOSE)
