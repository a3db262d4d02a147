"""What the provider counts: sends accepted per second per sender, under bunched delivery.

The real send path (``send_entry``) and the real rate limiter on the Redis-wire
server; the in-memory store holds the outbox. Between a worker and Twilio the
requests can be held up and released together (a busy worker loop, a busy
network, a provider that queues before it accepts): the provider below holds
every request until its next gate opens, gates ``GATE`` seconds apart, and
accepts them all at that moment. That is longer than ``burst / rate``, the
slack a count at the sender alone leaves for the way there.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from redis.asyncio import Redis

from bot.adapters.memory import MemoryStore
from bot.adapters.ratelimit import RedisRateLimiter
from bot.core.ports import OutboundMessage, OutboxState, SendOutcome, SendResult
from bot.services.outbox import send_entry
from bot.settings import Settings
from tests.builders import outbox_entry
from tests.fakes.sending import MemoryBreaker

RATE, BURST = 20, 4
GATE = 0.9  # seconds between two releases of the held requests: 4.5 × burst / rate
SENDS = 110
WORKERS = 24  # sends in flight at once, as a worker's concurrent tasks


@dataclass
class BunchingProvider:
    """Accepts each request when the next gate opens, all held ones at the same instant.

    Models Twilio's count as documented (messages accepted per second per sender,
    the excess queued): ``accepted`` is the provider's clock at acceptance. The
    answer comes back right after, as Twilio's 201 does.
    """

    began: float = field(default_factory=time.monotonic)
    accepted: list[float] = field(default_factory=list)

    async def send(self, message: OutboundMessage) -> SendResult:
        now = time.monotonic()
        gates = (now - self.began) // GATE + 1
        await asyncio.sleep(self.began + gates * GATE - now)
        self.accepted.append(time.monotonic())
        return SendResult(SendOutcome.ACCEPTED, provider_sid=f"SM{len(self.accepted)}")

    async def find_sent(self, to: str, sender: str, since: datetime) -> list[object]:
        raise AssertionError("nothing is unknown here: no reconciliation")


def _busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))


async def test_no_second_at_the_provider_over_rate_plus_burst_when_delivery_bunches(
    redis: Redis, memory_settings: Settings
) -> None:
    store = MemoryStore()
    now = datetime.now(UTC)
    keys = [f"c{n}:reminder" for n in range(SENDS)]
    for key in keys:
        await store.outbox.add(outbox_entry(key, conversation_id=key.split(":")[0], created_at=now))
    provider = BunchingProvider()
    limiter = RedisRateLimiter(redis, rate=RATE, burst=BURST)
    todo = list(keys)

    async def worker() -> None:
        while todo:
            key = todo.pop()
            while (
                await send_entry(
                    key,
                    store=store,
                    messenger=provider,  # type: ignore[arg-type]
                    limiter=limiter,
                    breaker=MemoryBreaker(),
                    settings=memory_settings,
                    clock=lambda: datetime.now(UTC),
                )
                is not OutboxState.SENT
            ):  # throttled: due again later; hand it on again soon, as the sweeper would
                await asyncio.sleep(0.1)
                await store.outbox.update(key, OutboxState.PENDING, next_attempt_at=None)

    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    assert len(provider.accepted) == SENDS  # every one sent once
    assert _busiest_second(provider.accepted) <= RATE + BURST
