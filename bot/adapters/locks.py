"""Short per-key locks in Redis (SET NX PX, released only by their holder).

A lock here only saves work (one patient's messages drained by one process at
a time); correctness comes from the conversation's version check. Task
hand-offs made while a lock is held leave with its release, in one round trip
(:mod:`bot.adapters.redis_batch`).

Every round trip has a deadline (``deadline``, seconds), so a Redis that stops
answering cannot hang a turn: past it the call raises redis-py's
``TimeoutError``, as its socket timeout did. The deadline is one
``asyncio.timeout`` per round trip; redis-py drops the connection it cancels
(a late answer is never read by the next command). A client with a
``socket_timeout`` (redis-py's default is 5 s) pays redis-py's deadlines on top,
an ``asyncio.wait_for`` task for every send and a timer for every reply read:
:meth:`RedisLocks.from_url` makes a client without them (about 40 µs of CPU
less a turn, bench/README.md).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.adapters.redis_batch import Batch, held_batch

__all__ = ["DEADLINE_SECONDS", "RedisLocks"]

log = logging.getLogger(__name__)

DEADLINE_SECONDS = 5.0  # what the web process's socket_timeout gave each command before
_CONNECT_SECONDS = 2.0

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

T = TypeVar("T")


class RedisLocks:
    def __init__(
        self,
        redis: Redis,
        prefix: str = "digitaly:lock:",
        *,
        deadline: float = DEADLINE_SECONDS,
        owned: bool = False,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.deadline = deadline
        self._owned = owned
        self._release = redis.register_script(_RELEASE)  # EVALSHA: the script is sent once

    @classmethod
    def from_url(cls, url: str, *, deadline: float = DEADLINE_SECONDS) -> RedisLocks:
        """Locks on a client of their own, without a socket timeout (their deadline is
        ``deadline``); :meth:`aclose` closes it."""
        # redis-py's default socket_timeout is 5 s, not None: say None.
        client = Redis.from_url(url, socket_connect_timeout=_CONNECT_SECONDS, socket_timeout=None)
        return cls(client, deadline=deadline, owned=True)

    async def aclose(self) -> None:
        """Close the client if :meth:`from_url` made it; a given one is its owner's."""
        if self._owned:
            await self.redis.aclose()

    @asynccontextmanager
    async def hold(self, name: str, ttl_ms: int = 30_000) -> AsyncIterator[bool]:
        """Yield True if this caller got the lock, False if someone else holds it."""
        key, token = self.prefix + name, secrets.token_hex(8)
        if not await self._within(self.redis.set(key, token, nx=True, px=ttl_ms)):
            yield False
            return
        with held_batch() as batch:
            try:
                yield True
            finally:
                await self._give_back(key, token, batch)

    async def _within(self, call: Awaitable[T]) -> T:
        """``call`` (one round trip) under the deadline; redis-py's TimeoutError past it."""
        try:
            async with asyncio.timeout(self.deadline):
                return await call
        except TimeoutError:
            raise RedisTimeoutError(f"Redis did not answer within {self.deadline:g} s") from None

    async def _give_back(self, key: str, token: str, batch: Batch) -> None:
        """The held-back commands, then the release, in one pipeline."""
        if not batch.commands:
            await self._within(self._release(keys=[key], args=[token]))
            return
        pipe = self.redis.pipeline(transaction=False)
        for command in batch.commands:
            command(pipe)
        # EVAL, not the registered script: a pipeline would first ask whether the
        # server knows it (SCRIPT EXISTS), one more round trip.
        pipe.eval(_RELEASE, 1, key, token)
        try:
            await self._within(pipe.execute())
        except RedisError as exc:
            # The sends' hand-offs may be lost: the outbox sweeper re-hands them. The lock
            # expires with its TTL if its release was lost too.
            log.warning(
                "could not queue sends or release a lock; the sweeper will",
                extra={"error": type(exc).__name__},
            )
