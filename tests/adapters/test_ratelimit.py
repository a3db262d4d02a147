"""The shared rate limiter and circuit breaker, on a real Redis-wire server."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from bot.adapters.circuit import RedisCircuitBreaker
from bot.adapters.ratelimit import RedisRateLimiter


async def test_burst_then_one_slot_per_interval(redis: Redis) -> None:
    limiter = RedisRateLimiter(redis, rate=10, burst=3)
    slots = []
    for _ in range(6):
        asked = time.monotonic()
        slot = await limiter.reserve("whatsapp:+551130000001", max_wait=1.0)
        assert slot.granted
        slots.append(asked + slot.wait)  # when this caller may send
    assert [slot - slots[0] for slot in slots[:3]] == pytest.approx([0, 0, 0], abs=0.02)
    # Then 0.1 s apart (reservations already made count).
    gaps = [b - a for a, b in itertools.pairwise(slots[2:])]
    assert gaps == pytest.approx([0.1] * 3, abs=0.02)


async def test_too_far_a_slot_is_refused_with_when_to_ask(redis: Redis) -> None:
    limiter = RedisRateLimiter(redis, rate=10, burst=1)
    for _ in range(5):
        assert (await limiter.reserve("s", max_wait=0.5)).granted
    refused = await limiter.reserve("s", max_wait=0.3)
    assert not refused.granted
    assert 0.1 < refused.wait <= 0.2 + 0.05
    other = await limiter.reserve("another-sender", max_wait=0)
    assert (other.granted, other.wait) == (True, 0)


async def test_shared_by_concurrent_callers_never_over_rate_plus_burst(redis: Redis) -> None:
    rate, burst = 20, 4
    limiter = RedisRateLimiter(redis, rate=rate, burst=burst)
    sent: list[float] = []

    async def sender() -> None:
        for _ in range(15):
            slot = await limiter.reserve("s", max_wait=0.5)
            if not slot.granted:
                await asyncio.sleep(slot.wait)
                continue
            await asyncio.sleep(slot.wait)
            sent.append(time.monotonic())

    await asyncio.gather(*(sender() for _ in range(6)))
    assert len(sent) > 20
    worst = max(sum(1 for t in sent if start <= t < start + 1) for start in sent)
    assert worst <= rate + burst


async def test_admit_counts_the_last_second_and_says_when_it_has_room(redis: Redis) -> None:
    limiter = RedisRateLimiter(redis, rate=5, burst=2)
    began = time.monotonic()
    for n in range(7):  # rate + burst: what the provider may count in one second
        assert await limiter.admit("s", f"t{n}") == 0.0
        await limiter.finished("s", f"t{n}")
    wait = await limiter.admit("s", "t7")  # the eighth in the same second
    assert 0 < wait <= 1.0 - (time.monotonic() - began) + 0.05
    assert await limiter.admit("another-sender", "t0") == 0.0
    await asyncio.sleep(wait)
    assert await limiter.admit("s", "t7") == 0.0  # the oldest send has left the window


async def test_a_send_in_flight_counts_until_a_second_after_its_answer(redis: Redis) -> None:
    """The provider may accept a request at any moment before its answer: held up on the way,
    it could land in the same second as the next ones."""
    limiter = RedisRateLimiter(redis, rate=2, burst=1, in_flight=10.0)
    for n in range(3):
        assert await limiter.admit("s", f"t{n}") == 0.0
    await asyncio.sleep(1.1)  # admitted more than a second ago, still unanswered: they count
    assert 0 < await limiter.admit("s", "t3") <= 0.1  # none answered yet: ask again soon
    await limiter.finished("s", "t0")
    answered = time.monotonic()
    wait = await limiter.admit("s", "t3")
    assert 0.9 < wait <= 1.0  # a second after t0's answer
    await asyncio.sleep(1.0 - (time.monotonic() - answered) + 0.02)
    assert await limiter.admit("s", "t3") == 0.0


async def test_a_send_never_answered_stops_counting_after_the_longest_request(
    redis: Redis,
) -> None:
    limiter = RedisRateLimiter(redis, rate=1, burst=0, in_flight=0.3)
    assert await limiter.admit("s", "lost") == 0.0  # its worker died before the answer
    assert await limiter.admit("s", "next") > 0
    await asyncio.sleep(1.35)
    assert await limiter.admit("s", "next") == 0.0


async def test_late_wakers_all_at_once_get_exactly_the_cap(redis: Redis) -> None:
    """Slots reserved ahead, then a loop so busy that every sleeper wakes at the same moment."""
    rate, burst = 20, 4
    limiter = RedisRateLimiter(redis, rate=rate, burst=burst)
    waits = await asyncio.gather(*(limiter.admit("s", f"t{n}") for n in range(40)))
    assert sorted(waits)[: rate + burst] == [0.0] * (rate + burst)
    assert all(0 < wait <= 1.0 for wait in sorted(waits)[rate + burst :])


async def test_breaker_opens_after_failures_and_probes_after_reset(redis: Redis) -> None:
    breaker = RedisCircuitBreaker(redis, failures=3, reset=timedelta(milliseconds=300))
    await breaker.record(False)
    await breaker.record(True)  # a success in between: the count starts again
    for _ in range(2):
        await breaker.record(False)
    assert await breaker.open_for() == 0
    await breaker.record(False)
    assert 0 < await breaker.open_for() <= 0.3
    await asyncio.sleep(0.35)
    assert await breaker.open_for() == 0
    await breaker.record(False)  # the probe failed: open again at once
    assert await breaker.open_for() > 0
    await asyncio.sleep(0.35)
    await breaker.record(True)  # the probe worked: closed, the count is reset
    await breaker.record(False)
    assert await breaker.open_for() == 0
