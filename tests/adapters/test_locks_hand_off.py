"""Hand-offs made while a Redis lock is held leave with its release, in one round trip."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from taskiq_redis import RedisStreamBroker

from bot.adapters.locks import RedisLocks
from bot.adapters.queue import TaskiqQueue
from bot.settings import Settings
from workers.broker import create_broker


@pytest.fixture
async def broker(settings: Settings) -> AsyncIterator[RedisStreamBroker]:
    broker = create_broker(settings, queue=f"digitaly:test:{uuid.uuid4().hex[:8]}")
    yield broker
    await broker.shutdown()


@pytest.fixture
def locks(redis: Redis) -> RedisLocks:
    return RedisLocks(redis, prefix=f"test:{uuid.uuid4().hex[:8]}:")


async def _handed(redis: Redis, broker: RedisStreamBroker) -> int:
    return int(await redis.xlen(broker.queue_name))


async def test_sends_handed_off_under_a_lock_go_out_with_its_release(
    broker: RedisStreamBroker, locks: RedisLocks, redis: Redis
) -> None:
    queue = TaskiqQueue(broker)
    async with locks.hold("phone:1") as mine:
        assert mine
        await queue.enqueue_send("first")
        await queue.enqueue_send("second")
        assert await _handed(redis, broker) == 0  # held back for the release
    assert await _handed(redis, broker) == 2
    async with locks.hold("phone:1") as again:
        assert again  # released in the same round trip


async def test_a_refused_lock_or_no_lock_hands_off_at_once(
    broker: RedisStreamBroker, locks: RedisLocks, redis: Redis
) -> None:
    queue = TaskiqQueue(broker)
    await queue.enqueue_send("no lock")
    assert await _handed(redis, broker) == 1
    async with locks.hold("phone:1") as mine, locks.hold("phone:1") as refused:
        assert mine
        assert not refused
    async with locks.hold("phone:2") as other:
        assert other
        await asyncio.create_task(queue.enqueue_send("from another task"))
        assert await _handed(redis, broker) == 2  # that task holds no lock: sent at once


async def test_a_hand_off_after_the_release_is_not_lost(
    broker: RedisStreamBroker, locks: RedisLocks, redis: Redis
) -> None:
    queue = TaskiqQueue(broker)
    later: list[asyncio.Task[None]] = []
    async with locks.hold("phone:1") as mine:
        assert mine
        gate = asyncio.Event()

        async def hand_off_later() -> None:
            await gate.wait()
            await queue.enqueue_send("after the release")

        later.append(asyncio.create_task(hand_off_later()))
    gate.set()  # the task copied the held batch's context; the batch is closed now
    await later[0]
    assert await _handed(redis, broker) == 1
