"""Failed staff logins counted in Redis, so every web process sees the same counts.

Per subject two keys: ``fail:<key>``, the failures of the window (INCR, its TTL
the window), and ``wait:<key>``, present while the subject must wait (its TTL
the wait). One Lua script counts and arms the wait atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from redis.asyncio import Redis

from bot.core.login_throttle import ThrottleRule, wait_after

__all__ = ["RedisLoginThrottle"]

# KEYS[1]: failures, KEYS[2]: wait marker. ARGV[1]: window (ms). Returns the new count.
_COUNT = """
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n
"""


class RedisLoginThrottle:
    def __init__(self, redis: Redis, prefix: str = "digitaly:login:") -> None:
        self.redis = redis
        self.prefix = prefix

    async def wait(self, subjects: Sequence[tuple[str, ThrottleRule]]) -> timedelta:
        longest = 0
        for key, _ in subjects:
            longest = max(longest, int(await self.redis.pttl(self.prefix + "wait:" + key)))
        return timedelta(milliseconds=longest)

    async def failed(self, subjects: Sequence[tuple[str, ThrottleRule]]) -> timedelta:
        longest = timedelta(0)
        for key, rule in subjects:
            window_ms = int(rule.window.total_seconds() * 1000)
            failures = int(await self.redis.eval(_COUNT, 1, self.prefix + "fail:" + key, window_ms))
            wait = wait_after(rule, failures)
            if wait:
                ms = int(wait.total_seconds() * 1000)
                await self.redis.set(self.prefix + "wait:" + key, failures, px=ms)
            longest = max(longest, wait)
        return longest

    async def clear(self, key: str) -> None:
        await self.redis.delete(self.prefix + "fail:" + key, self.prefix + "wait:" + key)
