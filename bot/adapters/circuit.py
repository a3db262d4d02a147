"""A circuit breaker shared by every worker through Redis.

After ``failures`` failed attempts in a row (timeouts, lost connections, 5xx,
429) sending pauses for ``reset``; the first attempt after the pause is a probe:
one more failure opens it again at once, a success closes it. Shared rather than
per process because several workers hammering a failing Twilio is what it
prevents. A flushed Redis just closes it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from redis.asyncio import Redis

__all__ = ["RedisCircuitBreaker"]

log = logging.getLogger(__name__)

# KEYS: failures counter, open flag. ARGV: ok (1/0), threshold, reset ms, memory ms.
_RECORD = """
if ARGV[1] == '1' then
  redis.call('DEL', KEYS[1])
  return 0
end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if n >= tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('SET', KEYS[1], tonumber(ARGV[2]) - 1, 'PX', ARGV[4])
  return 1
end
return 0
"""


class RedisCircuitBreaker:
    def __init__(
        self,
        redis: Redis,
        *,
        failures: int,
        reset: timedelta,
        name: str = "twilio",
        prefix: str = "digitaly:circuit:",
    ) -> None:
        self.redis = redis
        self.failures = failures
        self.reset_ms = max(1, int(reset.total_seconds() * 1000))
        self.keys = (f"{prefix}{name}:failures", f"{prefix}{name}:open")

    async def open_for(self) -> float:
        ttl_ms = int(await self.redis.pttl(self.keys[1]))
        return ttl_ms / 1000 if ttl_ms > 0 else 0.0

    async def record(self, ok: bool) -> None:
        opened = await self.redis.eval(
            _RECORD,
            2,
            *self.keys,
            "1" if ok else "0",
            str(self.failures),
            str(self.reset_ms),
            str(self.reset_ms * 10),
        )
        if opened:
            log.warning("circuit opened: sending paused", extra={"seconds": self.reset_ms / 1000})
