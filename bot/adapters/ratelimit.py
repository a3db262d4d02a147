"""The per-sender send rate, shared by every worker through Redis.

Two Lua scripts, on Redis's own clock (``TIME``), so workers on different
machines agree:

- ``reserve`` paces (GCRA): a caller reserves the next free slot if it is close
  enough and sleeps until then; otherwise it is told when to ask again. Slots
  are ``1 / rate`` apart, with ``burst`` of them available at once after a
  quiet spell.
- ``admit`` enforces, at the moment of sending: it counts the sends of the last
  second and lets one more through only while they are fewer than ``rate``.
  Slots are reserved ahead, and a busy event loop wakes its sleepers late and
  together; the count is what keeps every one-second window at the sender at
  or under ``rate`` whatever the lag. ``burst`` is then the slack for what
  happens after (the way to the provider bunches requests too): the provider
  never sees more than ``rate + burst`` in a second unless a request is held
  up for longer than ``burst / rate`` seconds.
"""

from __future__ import annotations

import math
import secrets

from redis.asyncio import Redis

from bot.core.ports import RateSlot

__all__ = ["RedisRateLimiter"]

# KEYS[1]: the key's theoretical arrival time (µs). ARGV: emission interval (µs), burst, max wait (µs).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local emission = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + emission
local wait = new_tat - emission * burst - now
if wait < 0 then wait = 0 end
if wait > max_wait then
  return {0, math.floor(wait - max_wait)}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1000)
return {1, math.floor(wait)}
"""


# KEYS[1]: the sorted set of the last second's sends (µs). ARGV: cap, a unique member.
_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cap = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 1000000)
if redis.call('ZCARD', KEYS[1]) < cap then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], 2000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + 1000000 - now)
"""


class RedisRateLimiter:
    def __init__(
        self, redis: Redis, *, rate: float, burst: int, prefix: str = "digitaly:rate:"
    ) -> None:
        self.redis = redis
        self.emission_us = 1_000_000 / rate
        self.burst = burst
        self.cap = max(1, math.floor(rate))  # sends allowed in any one second
        self.prefix = prefix

    async def reserve(self, key: str, max_wait: float) -> RateSlot:
        granted, wait_us = await self.redis.eval(
            _RESERVE,
            1,
            self.prefix + key,
            f"{self.emission_us:.0f}",
            str(self.burst),
            f"{max_wait * 1_000_000:.0f}",
        )
        return RateSlot(granted=bool(granted), wait=int(wait_us) / 1_000_000)

    async def admit(self, key: str) -> float:
        wait_us = await self.redis.eval(
            _ADMIT, 1, self.prefix + "sent:" + key, str(self.cap), secrets.token_hex(8)
        )
        return int(wait_us) / 1_000_000
