"""The outbox sweeper: expired leases, unknown outcomes reconciled, lost hand-offs redone.

Run every second or so by the scheduler; the rules are :mod:`bot.core.outbox`'s,
the writes :func:`bot.services.outbox.apply_decision`'s. Several sweepers at once
only duplicate hand-offs, which the claim absorbs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.core.ports import (
    CircuitBreaker,
    Messenger,
    OutboxEntry,
    OutboxState,
    Store,
    TaskQueue,
)
from bot.core.sweeping import (
    hand_off_horizon,
    lease_expired,
    lookup_since,
    reconcile_candidates,
    should_kick,
    unmatched_unknown,
)
from bot.services.outbox import apply_decision
from bot.settings import Settings

__all__ = ["SweepReport", "reconcile_entry", "sweep"]

log = logging.getLogger(__name__)


_SWEEP_LIMIT = 500


_SWEEP_CONCURRENCY = 20


_RECONCILE_LIMIT = 100


async def reconcile_entry(
    entry: OutboxEntry,
    *,
    store: Store,
    messenger: Messenger,
    settings: Settings,
    clock: Clock,
) -> OutboxState | None:
    """Settle an UNKNOWN entry: SENT if the provider has it, else resend after the grace.

    The provider's message must have been created during the attempt (from the
    claim to the end of its lease), be nobody else's, and for free text carry the
    same text. Returns the new state, or None when it stays unknown (or was moved
    by someone else).
    """
    if entry.state is not OutboxState.UNKNOWN:
        return None
    policy = settings.sending.policy
    try:
        found = await messenger.find_sent(entry.phone, entry.sender, lookup_since(entry))
    except Exception as exc:
        log.warning(
            "reconcile lookup failed", extra={"key": entry.key, "error": type(exc).__name__}
        )
        return None
    for message in reconcile_candidates(entry, found, policy):
        owner = await store.outbox.by_provider_sid(message.sid)
        if owner is not None and owner.key != entry.key:
            continue
        if await store.outbox.update(
            entry.key, OutboxState.UNKNOWN, state=OutboxState.SENT, provider_sid=message.sid
        ):
            log.info("unknown outcome settled: it was sent", extra={"key": entry.key})
            return OutboxState.SENT
        return None
    now = clock()
    return await apply_decision(store, entry, unmatched_unknown(entry, policy, now), now)


@dataclass(frozen=True, slots=True)
class SweepReport:
    kicked: int = 0
    lease_expired: int = 0
    settled: int = 0


async def sweep(
    *,
    store: Store,
    queue: TaskQueue,
    messenger: Messenger,
    breaker: CircuitBreaker,
    settings: Settings,
    clock: Clock,
) -> SweepReport:
    """One pass of the outbox sweeper (run every second or so by the scheduler).

    Expired leases become UNKNOWN; UNKNOWN entries are reconciled (not while the
    circuit is open: the provider is failing); pending entries that are due are
    handed to the queue, unless their last hand-off may still be in it. Idempotent: several
    sweepers at once only duplicate hand-offs, which the claim absorbs. One
    entry failing (a write conflict, a bad document) never stops the others.
    """
    now = clock()
    policy = settings.sending.policy

    async def expire(entry: OutboxEntry) -> bool:
        return lease_expired(entry, policy, now) and await store.outbox.update(
            entry.key, OutboxState.SENDING, state=OutboxState.UNKNOWN, unknown_since=now
        )

    async def settle(entry: OutboxEntry) -> bool:
        state = await reconcile_entry(
            entry, store=store, messenger=messenger, settings=settings, clock=clock
        )
        return state is not None

    async def kick(entry: OutboxEntry) -> bool:
        if not should_kick(entry, now, horizon):
            return False
        if not await store.outbox.update(entry.key, OutboxState.PENDING, kicked_at=now):
            return False
        await queue.enqueue_send(entry.key)
        return True

    expired = await _each(expire, await store.outbox.in_state(OutboxState.SENDING, _SWEEP_LIMIT))
    settled = 0
    if await breaker.open_for() <= 0:
        unknown = await store.outbox.in_state(OutboxState.UNKNOWN, _RECONCILE_LIMIT)
        settled = await _each(settle, unknown)
    now = clock()
    horizon = await _hand_off_horizon(queue, now, settings)
    kicked = await _each(kick, await store.outbox.due(now, horizon, _SWEEP_LIMIT))
    if kicked or expired or settled:
        log.info(
            "outbox swept", extra={"kicked": kicked, "lease_expired": expired, "settled": settled}
        )
    return SweepReport(kicked=kicked, lease_expired=expired, settled=settled)


async def _hand_off_horizon(queue: TaskQueue, now: datetime, settings: Settings) -> datetime:
    """A hand-off made after this may still be in the queue (see :func:`hand_off_horizon`)."""
    policy = settings.sending.policy
    try:
        queued_since = await queue.oldest_unfinished()
    except Exception as exc:
        log.warning("could not read the task queue", extra={"error": type(exc).__name__})
        return hand_off_horizon(now, None, policy, queue_readable=False)
    return hand_off_horizon(now, queued_since, policy, queue_readable=True)


async def _each(
    action: Callable[[OutboxEntry], Awaitable[bool]], entries: list[OutboxEntry]
) -> int:
    """Run ``action`` over ``entries``, a few at a time; count the True results."""
    done = 0
    for start in range(0, len(entries), _SWEEP_CONCURRENCY):
        batch = entries[start : start + _SWEEP_CONCURRENCY]
        results = await asyncio.gather(*(action(e) for e in batch), return_exceptions=True)
        for entry, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                log.warning(
                    "sweep skipped an entry",
                    extra={"key": entry.key, "error": type(result).__name__},
                )
            done += result is True
    return done
