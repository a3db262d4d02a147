"""One contract for the advisory locks, run against Redis (real server) and the memory twin."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from redis.asyncio import Redis

from bot.adapters.locks import RedisLocks
from bot.adapters.memory import MemoryLocks
from bot.core.ports import Locks


@pytest.fixture(params=["memory", "redis"])
async def locks(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[Locks]:
    if request.param == "memory":
        yield MemoryLocks()
        return
    redis = Redis.from_url(redis_url)
    prefix = f"test:{uuid.uuid4().hex[:8]}:"  # the server is shared by the whole session
    yield RedisLocks(redis, prefix=prefix)
    await redis.aclose()


async def test_a_free_lock_is_held_then_given_back(locks: Locks) -> None:
    async with locks.hold("patient:1") as first:
        assert first
    async with locks.hold("patient:1") as again:
        assert again


async def test_a_held_lock_is_refused_to_a_second_caller(locks: Locks) -> None:
    async with locks.hold("patient:1") as first, locks.hold("patient:1") as second:
        assert first
        assert not second
    async with locks.hold("patient:1") as after:
        assert after  # the refused caller's exit did not keep it held


async def test_locks_are_per_name(locks: Locks) -> None:
    async with locks.hold("patient:1") as one, locks.hold("patient:2") as two:
        assert one
        assert two


async def test_a_lock_expires_after_its_ttl(locks: Locks) -> None:
    async with locks.hold("patient:1", ttl_ms=50) as first:
        assert first
        await asyncio.sleep(0.12)
        async with locks.hold("patient:1") as second:
            assert second  # the first holder outlived its lease


async def test_only_the_holder_releases(locks: Locks) -> None:
    async with AsyncExitStack() as outer:
        assert await outer.enter_async_context(locks.hold("patient:1", ttl_ms=50))
        await asyncio.sleep(0.12)
        async with AsyncExitStack() as inner:
            # The first holder outlived its lease: a second caller takes the lock ...
            assert await inner.enter_async_context(locks.hold("patient:1", ttl_ms=5_000))
            await outer.aclose()  # ... and the first one's release leaves it alone.
            async with locks.hold("patient:1") as third:
                assert not third
