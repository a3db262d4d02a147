"""The login throttle's contract, on Redis and on its in-memory twin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from bot.adapters.memory import MemoryLoginThrottle
from bot.adapters.throttle import RedisLoginThrottle
from bot.core.login_throttle import ThrottleRule, wait_after
from bot.core.ports import LoginThrottle

RULE = ThrottleRule(free=2, lock_at=4, lock_for=timedelta(minutes=15))


@pytest.fixture(params=["redis", "memory"])
def throttle(request: pytest.FixtureRequest) -> Callable[[], LoginThrottle]:
    if request.param == "memory":
        return MemoryLoginThrottle
    redis: Redis = request.getfixturevalue("redis")
    return lambda: RedisLoginThrottle(redis)


@pytest.mark.parametrize(("failures", "seconds"), [(0, 0), (2, 0), (3, 1), (4, 900), (9, 900)])
def test_wait_after(failures: int, seconds: int) -> None:
    assert wait_after(RULE, failures) == timedelta(seconds=seconds)


async def test_free_failures_then_a_wait_then_a_lock(throttle: Callable[[], LoginThrottle]) -> None:
    limiter = throttle()
    subjects = [("account:a@x", RULE)]
    assert await limiter.failed(subjects) == timedelta(0)
    assert await limiter.failed(subjects) == timedelta(0)
    assert await limiter.wait(subjects) == timedelta(0)
    assert await limiter.failed(subjects) == timedelta(seconds=1)
    assert timedelta(0) < await limiter.wait(subjects) <= timedelta(seconds=1)
    assert await limiter.failed(subjects) == timedelta(minutes=15)
    assert await limiter.wait(subjects) > timedelta(minutes=14)
    # Another subject is not affected; clearing forgets the first.
    assert await limiter.wait([("account:b@x", RULE)]) == timedelta(0)
    await limiter.clear("account:a@x")
    assert await limiter.wait(subjects) == timedelta(0)
    assert await limiter.failed(subjects) == timedelta(0)
