"""Short per-key locks in Redis (SET NX PX, released only by their holder).

A lock here only saves work (one patient's messages drained by one process at
a time); correctness comes from the conversation's version check.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

__all__ = ["RedisLocks"]

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisLocks:
    def __init__(self, redis: Redis, prefix: str = "digitaly:lock:") -> None:
        self.redis = redis
        self.prefix = prefix

    @asynccontextmanager
    async def hold(self, name: str, ttl_ms: int = 30_000) -> AsyncIterator[bool]:
        """Yield True if this caller got the lock, False if someone else holds it."""
        key, token = self.prefix + name, secrets.token_hex(8)
        acquired = bool(await self.redis.set(key, token, nx=True, px=ttl_ms))
        try:
            yield acquired
        finally:
            if acquired:
                await self.redis.eval(_RELEASE, 1, key, token)
