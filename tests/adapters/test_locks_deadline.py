"""A Redis that stops answering cannot hang a lock: every round trip has a deadline.

The locks' client has no socket timeout (``RedisLocks.from_url``): their own
deadline is the only one, so these tests fail by hanging (the per-test
timeout) if a round trip ever goes without it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.adapters.locks import RedisLocks
from bot.adapters.redis_batch import defer
from tests.stalled_redis import StalledRedis, stallable_redis

DEADLINE = 0.3
BOUND = 3.0  # the deadline plus room for a busy machine: far below a hang


@pytest.fixture
def server(tmp_path: Path) -> Iterator[StalledRedis]:
    with stallable_redis(tmp_path) as server:
        yield server


@pytest.fixture
async def locks(server: StalledRedis) -> AsyncIterator[RedisLocks]:
    locks = RedisLocks.from_url(server.url, deadline=DEADLINE)
    yield locks
    await locks.aclose()


def _elapsed_since(start: float) -> float:
    return asyncio.get_running_loop().time() - start


async def test_taking_a_lock_fails_within_the_deadline_when_redis_stops_answering(
    server: StalledRedis, locks: RedisLocks
) -> None:
    async with locks.hold("phone:1") as mine:
        assert mine  # a connection is open and in the pool
    server.pause()
    start = asyncio.get_running_loop().time()
    with pytest.raises(RedisTimeoutError):
        async with locks.hold("phone:2"):
            pytest.fail("the block must not run without the lock's answer")
    assert DEADLINE * 0.9 <= _elapsed_since(start) < BOUND


async def test_a_new_connection_to_a_stopped_redis_fails_within_the_deadline(
    server: StalledRedis, locks: RedisLocks
) -> None:
    server.pause()  # the kernel still accepts the connection; the handshake gets no answer
    start = asyncio.get_running_loop().time()
    with pytest.raises(RedisTimeoutError):
        async with locks.hold("phone:1"):
            pytest.fail("the block must not run without the lock's answer")
    assert _elapsed_since(start) < BOUND


async def test_a_connection_cut_by_the_deadline_is_not_reused_once_redis_answers_again(
    server: StalledRedis, locks: RedisLocks
) -> None:
    async with locks.hold("phone:1") as mine:
        assert mine
    server.pause()
    with pytest.raises(RedisTimeoutError):
        async with locks.hold("phone:2"):
            pass
    server.resume()
    # The SET sent before the pause is answered now; a reused connection would hand
    # that "OK" to the next command.
    assert await locks.redis.echo("fresh") == b"fresh"
    async with locks.hold("phone:3") as again:
        assert again


async def test_a_release_with_held_back_commands_gives_up_within_the_deadline(
    server: StalledRedis, locks: RedisLocks
) -> None:
    start = 0.0
    async with locks.hold("phone:1") as mine:
        assert mine
        assert defer(lambda pipe: pipe.xadd("test:stream", {b"data": b"x"}))
        server.pause()
        start = asyncio.get_running_loop().time()
    # Not raised: the hand-offs are the outbox sweeper's to redo, the lock expires.
    assert DEADLINE * 0.9 <= _elapsed_since(start) < BOUND


async def test_a_bare_release_fails_within_the_deadline(
    server: StalledRedis, locks: RedisLocks
) -> None:
    start = 0.0
    with pytest.raises(RedisTimeoutError):
        async with locks.hold("phone:1") as mine:
            assert mine
            server.pause()
            start = asyncio.get_running_loop().time()
    assert DEADLINE * 0.9 <= _elapsed_since(start) < BOUND
