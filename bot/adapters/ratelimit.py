"""The per-sender send rate, shared by every worker through Redis.

Two Lua scripts, on Redis's own clock (``TIME``), so workers on different
machines agree:

- ``reserve`` paces (GCRA): a caller reserves the next free slot if it is close
  enough and sleeps until then; otherwise it is told when to ask again. Slots
  are ``1 / rate`` apart, with ``burst`` of them available at once after a
  quiet spell.
- ``admit`` enforces what the provider counts: sends accepted in any one
  second, at most ``rate + burst``. The provider accepts a request at some
  moment between our admitting it and our reading its answer, and the way
  there can hold requests up and release them together (a busy event loop, the
  network, the provider's own queue), so a count of admissions alone is not
  enough (it let 93 through in one second against 90 allowed in the fan-out
  bench). A send is counted from its admission, while in flight, and until
  one second after ``finished`` (its answer): any one-second window at the
  provider then holds only sends that were all counted at once when the last
  of them was admitted, so never more than the cap, however late the delivery.
  A send whose ``finished`` never comes (a worker killed mid-request) counts
  until ``in_flight`` seconds (the longest request) plus one have passed.

  The cost: a send holds its place for a second plus its round trip, so the
  rate reaches the limit only while the round trip to the provider stays under
  ``burst / rate`` (125 ms at 80/s, burst 10); past it the rate falls to
  ``(rate + burst) / (1 s + round trip)`` and the count, not the pacing, holds it.
"""

from __future__ import annotations

import logging
import math

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.core.ports import RateSlot

__all__ = ["RedisRateLimiter"]

log = logging.getLogger(__name__)

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


# KEYS[1]: the sorted set of counted sends, scored with when each stops counting minus one
# second (µs): its answer's time, or while in flight the latest it can come. ARGV: cap, the
# send's ticket, the longest request (µs).
_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cap = tonumber(ARGV[1])
local in_flight = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 1000000)
if redis.call('ZCARD', KEYS[1]) < cap then
  redis.call('ZADD', KEYS[1], now + in_flight, ARGV[2])
  if redis.call('PTTL', KEYS[1]) < (in_flight / 1000) + 1000 then
    redis.call('PEXPIRE', KEYS[1], math.floor(in_flight / 1000) + 2000)
  end
  return 0
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
if oldest > now then
  return 100000  -- all in flight: when one is answered is unknown, ask again soon
end
return math.max(1, oldest + 1000000 - now)
"""

# KEYS[1]: as above. ARGV: the send's ticket. Counted from now for one more second; added
# back if it had stopped counting (a request that outlived ``in_flight``).
_FINISHED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
if redis.call('PTTL', KEYS[1]) < 2000 then
  redis.call('PEXPIRE', KEYS[1], 2000)
end
return 0
"""


class RedisRateLimiter:
    """``rate`` sends a second per key, ``burst`` more at once; ``in_flight``: the longest
    request to the provider, in seconds (the sending's request timeout)."""

    def __init__(
        self,
        redis: Redis,
        *,
        rate: float,
        burst: int,
        in_flight: float = 30.0,
        prefix: str = "digitaly:rate:",
    ) -> None:
        self.redis = redis
        self.emission_us = 1_000_000 / rate
        self.burst = burst
        self.cap = max(1, math.floor(rate)) + burst  # sends the provider may count in a second
        self.in_flight_us = in_flight * 1_000_000
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

    async def admit(self, key: str, ticket: str) -> float:
        wait_us = await self.redis.eval(
            _ADMIT, 1, self._sent(key), str(self.cap), ticket, f"{self.in_flight_us:.0f}"
        )
        return int(wait_us) / 1_000_000

    async def finished(self, key: str, ticket: str) -> None:
        try:
            await self.redis.eval(_FINISHED, 1, self._sent(key), ticket)
        except RedisError as exc:  # the send still counts, until ``in_flight`` has passed
            log.warning("send not marked finished", extra={"error": type(exc).__name__})

    def _sent(self, key: str) -> str:
        return self.prefix + "sent:" + key
