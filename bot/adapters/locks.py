"""Short per-key locks in Redis (SET NX PX, released only by their holder).

A lock here only saves work (one patient's messages drained by one process at
a time); correctness comes from the conversation's version check. Task
hand-offs made while a lock is held leave with its release, in one round trip
(:mod:`bot.adapters.redis_batch`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.adapters.redis_batch import Batch, held_batch

__all__ = ["RedisLocks"]

log = logging.getLogger(__name__)

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisLocks:
    def __init__(self, redis: Redis, prefix: str = "digitaly:lock:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._release = redis.register_script(_RELEASE)  # EVALSHA: the script is sent once

    @asynccontextmanager
    async def hold(self, name: str, ttl_ms: int = 30_000) -> AsyncIterator[bool]:
        """Yield True if this caller got the lock, False if someone else holds it."""
        key, token = self.prefix + name, secrets.token_hex(8)
        if not await self.redis.set(key, token, nx=True, px=ttl_ms):
            yield False
            return
        with held_batch() as batch:
            try:
                yield True
            finally:
                await self._give_back(key, token, batch)

    async def _give_back(self, key: str, token: str, batch: Batch) -> None:
        """The held-back commands, then the release, in one pipeline."""
        if not batch.commands:
            await self._release(keys=[key], args=[token])
            return
        pipe = self.redis.pipeline(transaction=False)
        for command in batch.commands:
            command(pipe)
        # EVAL, not the registered script: a pipeline would first ask whether the
        # server knows it (SCRIPT EXISTS), one more round trip.
        pipe.eval(_RELEASE, 1, key, token)
        try:
            await pipe.execute()
        except RedisError as exc:
            # The sends' hand-offs may be lost: the outbox sweeper re-hands them. The lock
            # expires with its TTL if its release was lost too.
            log.warning(
                "could not queue sends or release a lock; the sweeper will",
                extra={"error": type(exc).__name__},
            )
