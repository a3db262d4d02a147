"""Sending outbox entries so that each reaches the patient once, whatever crashes.

An entry moves only by compare-and-set on its state, so two workers holding the
same task, or a worker and the sweeper, can never both act on it::

    pending --claim (attempt n, lease starts)--> sending
    sending --accepted--> sent
    sending --rejected, retryable--> pending (next attempt after backoff)   | dead (budget spent)
    sending --rejected, permanent / opt-out--> failed (code; a reminder puts the patient
                                                       on the call list)
    sending --rejected, unexpected code--> dead (a person must look)
    sending --no answer / lease expired--> unknown
    unknown --found at the provider--> sent
    unknown --not found after unknown_grace--> pending (resend)       | dead (budget spent)
    pending --claim, then: suppressed number / past expires_at--> failed (never sent)
    pending --claim, free text outside the 24-hour window--> dead (never sent)
    sending --rejected, throttle (63018)--> pending until the sender's pause ends (attempt unspent)
    sent --status callback failed/undelivered--> as if the send had been rejected with that code
                                                 (retry, throttle, failed, dead, suppressed)

Rate limiting, an open circuit and a paused sender (its reminders and notices
only) give a claimed entry back to pending for later (no attempt is spent). Nothing here sleeps for a backoff: the task records ``next_attempt_at``
and returns; :func:`bot.services.sweeper.sweep` hands the entry on when it is due, and also re-hands
entries whose task was lost (a killed worker, a flushed Redis).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bot import metrics
from bot.clock import Clock
from bot.core.model import AppointmentStatus, OutboxChanges, is_reminder
from bot.core.outbox import (
    MAX_RATE_WAIT,
    OPT_OUT_KIND,
    STATUS_RANK,
    SUPPRESSED,
    UNANSWERED,
    End,
    Resend,
    Retry,
    Sent,
    Skip,
    Throttle,
    Unknown,
    after_send,
    after_status,
    breaker_ok,
    business_initiated,
    checks_suppression,
    erasure,
    expiry,
    is_due,
    outside_window,
    rejection_action,
)
from bot.core.phones import variants
from bot.core.ports import (
    CircuitBreaker,
    DeadLetter,
    Messenger,
    OutboundMessage,
    OutboxEntry,
    OutboxState,
    RateLimiter,
    SenderPause,
    SendOutcome,
    SendResult,
    StatusEvent,
    Store,
    TaskQueue,
)
from bot.logs import mask_phone
from bot.settings import Settings

__all__ = [
    "OPT_OUT_KIND",
    "apply_decision",
    "backoff",
    "lease",
    "list_dead_letters",
    "mark_undeliverable",
    "record_status",
    "requeue_dead_letter",
    "send_entry",
]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


def lease(settings: Settings) -> timedelta:
    """How long an attempt may stay in SENDING before its outcome counts as unknown."""
    return settings.sending.policy.lease


def backoff(
    attempt: int,
    settings: Settings,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> timedelta:
    """Exponential backoff with full jitter; never shorter than the provider's Retry-After."""
    return settings.sending.policy.retry.backoff(attempt, retry_after, rand)


async def send_entry(
    key: str,
    *,
    store: Store,
    messenger: Messenger,
    limiter: RateLimiter,
    breaker: CircuitBreaker,
    settings: Settings,
    clock: Clock,
    sleep: Sleep = asyncio.sleep,
) -> OutboxState | None:
    """Make one attempt at entry ``key`` if it is pending and due; return its new state.

    None means nothing was done (not pending, not due, or another worker won it).
    """
    entry = await store.outbox.get(key)
    now = clock()
    if entry is None or not is_due(entry, now):
        return None
    # Claim first: a duplicate task stops here, having cost one read and one write.
    claimed = await store.outbox.update(
        key,
        OutboxState.PENDING,
        state=OutboxState.SENDING,
        attempts=entry.attempts + 1,
        claimed_at=now,
    )
    if not claimed:
        return None
    refused = erasure(entry) or expiry(entry, now)
    if refused is None and checks_suppression(entry):
        suppressed = await store.suppressions.is_suppressed(*variants(entry.phone))
        refused = SUPPRESSED if suppressed else None
    if refused is None and entry.content_sid is None:
        last_inbound = await store.inbound.last_received_at(*variants(entry.phone))
        refused = outside_window(entry, last_inbound, now)
    if refused is not None:
        return await apply_decision(store, entry, refused, now)
    if business_initiated(entry) and (paused := await store.sender_pauses.until(entry.sender, now)):
        return await apply_decision(store, entry, Throttle(paused), now)
    if (closed_in := await breaker.open_for()) > 0:
        return await apply_decision(store, entry, Throttle(now + timedelta(seconds=closed_in)), now)
    slot = await limiter.reserve(entry.sender, MAX_RATE_WAIT)
    if not slot.granted:  # spread the retries over the next window: no thundering herd
        later = now + timedelta(seconds=slot.wait + MAX_RATE_WAIT * random.random())
        return await apply_decision(store, entry, Throttle(later), now)
    if slot.wait > 0:
        await sleep(slot.wait)
    # The slot was reserved ahead; a late wake-up, or a request held up on its way, must not
    # bunch sends past what the provider counts in a second: counted until the answer, and after.
    ticket = f"{entry.key}#{entry.attempts + 1}"
    waited = 0.0
    while (wait := await limiter.admit(entry.sender, ticket)) > 0:
        if waited >= MAX_RATE_WAIT:
            return await apply_decision(
                store, entry, Throttle(clock() + timedelta(seconds=wait)), now
            )
        await sleep(wait)
        waited += wait
    now = clock()
    entry = replace(entry, attempts=entry.attempts + 1, claimed_at=now)
    try:
        result = await _attempt(messenger, entry, now)
    finally:
        await limiter.finished(entry.sender, ticket)
    if result.outcome is SendOutcome.ACCEPTED and is_reminder(entry.kind):
        # From the moment the reminder was claimed (its conversation started) to its send.
        metrics.REMINDER_LAG.observe(max(0.0, (clock() - entry.created_at).total_seconds()))
    now = clock()
    await breaker.record(breaker_ok(result))
    _log_result(entry, result, settings)
    decision = after_send(entry, result, settings.sending.policy, now, random.random)
    return await apply_decision(store, entry, decision, now)


async def _attempt(messenger: Messenger, entry: OutboxEntry, now: datetime) -> SendResult:
    """One request to the provider, timed and counted; whatever breaks, the result says so."""
    started = time.monotonic()
    try:
        result = await messenger.send(_message(entry, now))
    except Exception as exc:  # whatever broke, the request may have left
        result = SendResult(SendOutcome.UNKNOWN, detail=f"messenger raised {type(exc).__name__}")
    metrics.SEND_LATENCY.observe(time.monotonic() - started)
    metrics.SENDS.labels(result.outcome.value, str(result.error_code or "")).inc()
    return result


def _log_result(entry: OutboxEntry, result: SendResult, settings: Settings) -> None:
    context = {"key": entry.key, "attempt": entry.attempts, "phone": mask_phone(entry.phone)}
    if result.outcome is SendOutcome.UNKNOWN:
        log.warning("send outcome unknown; reconciling", extra={**context, "why": result.detail})
    elif result.outcome is SendOutcome.REJECTED:
        action = rejection_action(result, settings.sending.policy)
        log.warning(
            "send rejected",
            extra={
                **context, "code": result.error_code, "http": result.http_status, "action": action
            },
        )  # fmt: skip


async def apply_decision(
    store: Store,
    entry: OutboxEntry,
    decision: Skip | Throttle | Retry | Resend | Unknown | Sent | End,
    now: datetime,
) -> OutboxState | None:
    """Carry a decision out with compare-and-set writes; the new state, None if it lost a race."""
    if isinstance(decision, Skip):
        return None
    if isinstance(decision, Sent):
        for state in decision.from_states:
            if await store.outbox.update(
                entry.key, state, state=OutboxState.SENT, provider_sid=decision.provider_sid
            ):
                context = {"key": entry.key, "attempt": entry.attempts}
                log.info("message accepted", extra={**context, "phone": mask_phone(entry.phone)})
                return OutboxState.SENT
        return None
    if isinstance(decision, End):
        if decision.suppress:
            reason = f"provider error {decision.error_code}"
            await store.suppressions.add(entry.phone, reason, now)
        return await _end(store, entry, decision, at=now)
    if isinstance(decision, Unknown):
        changed = await store.outbox.update(
            entry.key, OutboxState.SENDING, state=OutboxState.UNKNOWN, unknown_since=decision.since
        )
        return OutboxState.UNKNOWN if changed else None
    if isinstance(decision, Resend):
        changed = await store.outbox.update(
            entry.key, OutboxState.UNKNOWN, state=OutboxState.PENDING, next_attempt_at=decision.at
        )
        if changed:
            log.info("unknown outcome settled: never created, resending", extra={"key": entry.key})
        return OutboxState.PENDING if changed else None
    if isinstance(decision, Throttle) and decision.pause_sender:
        pause = SenderPause(entry.sender, decision.until, decision.error_code, now)
        await store.sender_pauses.pause(pause)
        metrics.SENDER_PAUSES.labels(str(decision.error_code or "")).inc()
        log.warning(
            "sender paused: over its messaging limit",
            extra={"sender": mask_phone(entry.sender), "until": decision.until.isoformat(),
                   "code": decision.error_code},
        )  # fmt: skip
    # Retry: back to pending with the error; Throttle: back for later, its attempt unspent.
    changes: OutboxChanges = {"state": OutboxState.PENDING}
    if isinstance(decision, Retry):
        changes |= {"error_code": decision.error_code, "next_attempt_at": decision.at}
    else:
        attempts = entry.attempts - 1 if decision.refund else entry.attempts
        changes |= {"attempts": max(0, attempts), "next_attempt_at": decision.until}
    released = await store.outbox.update(entry.key, decision.expected, **changes)
    return OutboxState.PENDING if released else None


async def record_status(store: Store, event: StatusEvent, settings: Settings) -> bool:
    """Record a status callback once: project it, settle a lost answer, act on a failure.

    A failure reported here is decided as if the send had answered it
    (:func:`bot.core.outbox.on_failure`): retried, throttled, dead-lettered,
    failed with the call list, or the number suppressed.
    False when this (sid, status) was recorded already (a replayed callback changes nothing).
    """
    if not await store.statuses.append(event):
        return False
    await store.statuses.project(event, STATUS_RANK[event.status])
    entry = await _entry_for(store, event)
    decision = after_status(entry, event, settings.sending.policy, event.received_at, random.random)
    if decision.settle is not None and event.key:
        for state in decision.settle.from_states:
            await store.outbox.update(
                event.key, state, state=OutboxState.SENT, provider_sid=decision.settle.provider_sid
            )
    if decision.failure is not None and (entry := await _entry_for(store, event)) is not None:
        log.warning(
            "delivery failed",
            extra={"key": entry.key, "code": event.error_code, "status": event.status,
                   "phone": mask_phone(entry.phone)},
        )  # fmt: skip
        metrics.DELIVERY_FAILURES.labels(str(event.error_code or "")).inc()
        await apply_decision(store, entry, decision.failure, event.received_at)
    return True


async def _entry_for(store: Store, event: StatusEvent) -> OutboxEntry | None:
    return await (
        store.outbox.get(event.key) if event.key else store.outbox.by_provider_sid(event.sid)
    )


async def mark_undeliverable(store: Store, entry: OutboxEntry) -> None:
    """A reminder that will not arrive: its unanswered appointments go on the call list."""
    if not is_reminder(entry.kind) or entry.conversation_id is None:
        return
    conversation = await store.conversations.get(entry.conversation_id)
    if conversation is None:
        return
    for appointment_id in conversation.appointment_ids:
        appointment = await store.appointments.get(appointment_id)
        if appointment is not None and appointment.status in UNANSWERED:
            await store.appointments.set_status(appointment_id, AppointmentStatus.DELIVERY_FAILED)
    log.info("reminder undeliverable: patient to call", extra={"conversation": conversation.id})


async def list_dead_letters(store: Store, limit: int = 100) -> list[DeadLetter]:
    """Entries given up on, newest first (the console's and the CLI's list)."""
    return await store.dead_letters.newest(limit)


async def requeue_dead_letter(store: Store, queue: TaskQueue, key: str, *, clock: Clock) -> bool:
    """An operator's retry: the entry starts again with a fresh budget. False if not dead."""
    async with store.transaction() as tx:
        revived = await tx.outbox.update(
            key,
            OutboxState.DEAD,
            state=OutboxState.PENDING,
            attempts=0,
            failure=None,
            error_code=None,
            next_attempt_at=None,
            kicked_at=clock(),
        )
        if revived:
            await tx.dead_letters.remove(key)
    if revived:
        await queue.enqueue_send(key)
    return revived


async def _end(store: Store, entry: OutboxEntry, end: End, *, at: datetime) -> OutboxState | None:
    """FAILED or DEAD, with the dead letter and the call list in the same transaction."""
    async with store.transaction() as tx:
        changed = await tx.outbox.update(
            entry.key,
            end.expected,
            state=end.state,
            failure=end.reason,
            error_code=end.error_code,
            attempts=entry.attempts,
        )
        if not changed:
            return None
        if end.state is OutboxState.DEAD:
            letter = DeadLetter(
                key=entry.key,
                reason=end.reason,
                at=at,
                attempts=entry.attempts,
                error_code=end.error_code,
                kind=entry.kind,
                conversation_id=entry.conversation_id,
            )
            await tx.dead_letters.add(letter)
        if end.call_list:
            await mark_undeliverable(tx, entry)
    log.warning(
        "outbox entry ended",
        extra={"key": entry.key, "state": end.state.value, "reason": end.reason},
    )
    return end.state


def _message(entry: OutboxEntry, now: datetime) -> OutboundMessage:
    valid_for = None
    if entry.expires_at is not None:
        valid_for = max(1, int((entry.expires_at - now).total_seconds()))
    return OutboundMessage(
        key=entry.key,
        to=entry.phone,
        sender=entry.sender,
        text=entry.text,
        content_sid=entry.content_sid,
        variables=entry.variables,
        buttons=entry.buttons,
        choices=entry.choices,
        valid_for_seconds=valid_for,
    )
