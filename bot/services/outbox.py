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

Rate limiting and an open circuit give a claimed entry back to pending for
later (no attempt is spent). Nothing here sleeps for a backoff: the task records ``next_attempt_at``
and returns; :func:`sweep` hands the entry on when it is due, and also re-hands
entries whose task was lost (a killed worker, a flushed Redis).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot import metrics
from bot.core.model import AppointmentStatus
from bot.core.phones import variants
from bot.core.ports import (
    CircuitBreaker,
    DeadLetter,
    Messenger,
    OutboundMessage,
    OutboxEntry,
    OutboxState,
    RateLimiter,
    SendOutcome,
    SendResult,
    Store,
    TaskQueue,
)
from bot.logs import mask_phone
from bot.settings import ErrorAction, Settings

OPT_OUT_KIND = "opt_out"

__all__ = [
    "OPT_OUT_KIND",
    "SweepReport",
    "backoff",
    "lease",
    "list_dead_letters",
    "mark_undeliverable",
    "reconcile_entry",
    "requeue_dead_letter",
    "send_entry",
    "sweep",
]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]

# A task waits at most this long for its rate slot; beyond, it is postponed.
_MAX_RATE_WAIT = 2.0
# Our clock against the provider's (its timestamps have whole seconds).
_SKEW = timedelta(seconds=30)
_SWEEP_LIMIT = 500
_SWEEP_CONCURRENCY = 20
_RECONCILE_LIMIT = 100
# A hand-off whose task is no longer in the queue is re-done after this long ...
_HAND_OFF_GRACE = timedelta(seconds=5)
# ... and one handed out this close to the queue's oldest unfinished task counts as still in it
# (our clock against Redis's).
_QUEUE_SKEW = timedelta(seconds=5)
# Appointments a failed reminder may move to the call list (never over a patient's answer).
_UNANSWERED = frozenset({AppointmentStatus.SCHEDULED, AppointmentStatus.NO_RESPONSE})


def lease(settings: Settings) -> timedelta:
    """How long an attempt may stay in SENDING before its outcome counts as unknown.

    Longer than its wait for a rate slot plus the request's own timeout, so a
    live worker's attempt never looks abandoned.
    """
    return settings.sending.request_timeout * 2 + timedelta(seconds=_MAX_RATE_WAIT)


def backoff(
    attempt: int,
    settings: Settings,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> timedelta:
    """Exponential backoff with full jitter; never shorter than the provider's Retry-After."""
    sending = settings.sending
    ceiling: timedelta = min(
        sending.backoff_cap, sending.backoff_base * 2 ** min(30, max(0, attempt - 1))
    )
    delay: timedelta = ceiling * rand()
    return max(delay, timedelta(seconds=retry_after or 0))


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
    if entry is None or entry.state is not OutboxState.PENDING:
        return None
    if entry.next_attempt_at is not None and entry.next_attempt_at > now:
        return None  # the sweeper hands it on when due
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
    if entry.expires_at is not None and now >= entry.expires_at:
        reason = "expired before it was sent"
        return await _end(store, entry, OutboxState.FAILED, reason, at=now, tried=False)
    # The opt-out's own confirmation is the one message that still goes to the number.
    if entry.kind != OPT_OUT_KIND and await store.suppressions.is_suppressed(
        *variants(entry.phone)
    ):
        reason = "suppressed: the patient opted out"
        return await _end(store, entry, OutboxState.FAILED, reason, at=now, tried=False)
    if (closed_in := await breaker.open_for()) > 0:
        return await _release(store, entry, now + timedelta(seconds=closed_in))
    slot = await limiter.reserve(entry.sender, _MAX_RATE_WAIT)
    if not slot.granted:  # spread the retries over the next window: no thundering herd
        later = now + timedelta(seconds=slot.wait + _MAX_RATE_WAIT * random.random())
        return await _release(store, entry, later)
    if slot.wait > 0:
        await sleep(slot.wait)
    # The slot was reserved ahead; a late wake-up must not bunch sends past the cap.
    waited = 0.0
    while (wait := await limiter.admit(entry.sender)) > 0:
        if waited >= _MAX_RATE_WAIT:
            return await _release(store, entry, clock() + timedelta(seconds=wait))
        await sleep(wait)
        waited += wait
    now = clock()
    entry = replace(entry, attempts=entry.attempts + 1, claimed_at=now)
    started = time.monotonic()
    try:
        result = await messenger.send(_message(entry, now))
    except Exception as exc:  # whatever broke, the request may have left
        result = SendResult(SendOutcome.UNKNOWN, detail=f"messenger raised {type(exc).__name__}")
    metrics.SEND_LATENCY.observe(time.monotonic() - started)
    metrics.SENDS.labels(result.outcome.value, str(result.error_code or "")).inc()
    if result.outcome is SendOutcome.ACCEPTED and entry.kind.startswith("reminder"):
        # From the moment the reminder was claimed (its conversation started) to its send.
        metrics.REMINDER_LAG.observe(max(0.0, (clock() - entry.created_at).total_seconds()))
    return await _record(store, entry, result, breaker=breaker, settings=settings, now=clock())


async def _record(
    store: Store,
    entry: OutboxEntry,
    result: SendResult,
    *,
    breaker: CircuitBreaker,
    settings: Settings,
    now: datetime,
) -> OutboxState | None:
    context = {"key": entry.key, "attempt": entry.attempts, "phone": mask_phone(entry.phone)}
    if result.outcome is SendOutcome.ACCEPTED:
        await breaker.record(True)
        for state in (OutboxState.SENDING, OutboxState.UNKNOWN):  # the lease may have run out
            if await store.outbox.update(
                entry.key, state, state=OutboxState.SENT, provider_sid=result.provider_sid
            ):
                log.info("message accepted", extra=context)
                return OutboxState.SENT
        return None
    if result.outcome is SendOutcome.UNKNOWN:
        await breaker.record(False)
        log.warning("send outcome unknown; reconciling", extra={**context, "why": result.detail})
        changed = await store.outbox.update(
            entry.key, OutboxState.SENDING, state=OutboxState.UNKNOWN, unknown_since=now
        )
        return OutboxState.UNKNOWN if changed else None

    transient = result.http_status is None or result.http_status == 429
    transient = transient or (result.http_status or 0) >= 500
    await breaker.record(not transient)
    action = _action(result, settings, transient)
    log.warning(
        "send rejected",
        extra={**context, "code": result.error_code, "http": result.http_status, "action": action},
    )
    code = result.error_code
    if action is ErrorAction.RETRY:
        if entry.attempts >= settings.sending.max_attempts:
            reason = f"gave up after {entry.attempts} attempts (last: {_said(result)})"
            return await _end(store, entry, OutboxState.DEAD, reason, at=now, code=code)
        changed = await store.outbox.update(
            entry.key,
            OutboxState.SENDING,
            state=OutboxState.PENDING,
            error_code=code,
            next_attempt_at=now + backoff(entry.attempts, settings, result.retry_after),
        )
        return OutboxState.PENDING if changed else None
    if action is ErrorAction.OPT_OUT:
        await store.suppressions.add(entry.phone, f"provider error {code}", now)
    if action in (ErrorAction.PERMANENT, ErrorAction.OPT_OUT):
        reason = f"rejected for good: {_said(result)}"
        return await _end(store, entry, OutboxState.FAILED, reason, at=now, code=code)
    reason = f"unexpected rejection, needs a person: {_said(result)}"
    return await _end(store, entry, OutboxState.DEAD, reason, at=now, code=code)


def _action(result: SendResult, settings: Settings, transient: bool) -> ErrorAction:
    if result.error_code is not None:
        return settings.sending.action_for(result.error_code)
    return ErrorAction.RETRY if transient else settings.sending.default_error_action


def _said(result: SendResult) -> str:
    code = f"code {result.error_code}" if result.error_code else "no code"
    status = f"http {result.http_status}" if result.http_status else "no connection"
    return f"{status}, {code}"


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
    started = entry.claimed_at or entry.unknown_since or entry.created_at
    until = started + lease(settings) + _SKEW
    try:
        found = await messenger.find_sent(entry.phone, entry.sender, started - _SKEW)
    except Exception as exc:
        log.warning(
            "reconcile lookup failed", extra={"key": entry.key, "error": type(exc).__name__}
        )
        return None
    for message in sorted(found, key=lambda m: m.created_at):
        if message.created_at > until or not _same_text(entry, message.body):
            continue
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
    if now - (entry.unknown_since or now) < settings.sending.unknown_grace:
        return None
    if entry.attempts >= settings.sending.max_attempts:
        reason = f"no answer and not found at the provider after {entry.attempts} attempts"
        return await _end(
            store, entry, OutboxState.DEAD, reason, at=now, expected=OutboxState.UNKNOWN
        )
    if await store.outbox.update(
        entry.key, OutboxState.UNKNOWN, state=OutboxState.PENDING, next_attempt_at=now
    ):
        log.info("unknown outcome settled: never created, resending", extra={"key": entry.key})
        return OutboxState.PENDING
    return None


def _same_text(entry: OutboxEntry, body: str) -> bool:
    # A template's body is rendered by the provider: only free text can be compared.
    if entry.content_sid is not None or not body or not entry.text:
        return True
    return body.strip() == entry.text.strip()


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

    async def expire(entry: OutboxEntry) -> bool:
        claimed = entry.claimed_at or entry.created_at
        return now - claimed >= lease(settings) and await store.outbox.update(
            entry.key, OutboxState.SENDING, state=OutboxState.UNKNOWN, unknown_since=now
        )

    async def settle(entry: OutboxEntry) -> bool:
        state = await reconcile_entry(
            entry, store=store, messenger=messenger, settings=settings, clock=clock
        )
        return state is not None

    async def kick(entry: OutboxEntry) -> bool:
        last_kick = entry.kicked_at or entry.created_at
        due_since = entry.next_attempt_at or entry.created_at
        # Handed out since it became due: not again while its task may still be in the queue
        # (a long queue is not a lost task); after that, doubling the wait each time.
        if last_kick >= due_since and (
            last_kick > horizon or now - last_kick < last_kick - due_since
        ):
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
    """A hand-off made after this may still be in the queue: it is not re-done.

    The hand-off of the queue's oldest unfinished task (allowing for our clock against
    Redis's), and never later than a few seconds ago; without an answer from Redis, a
    lease ago (a live worker's attempt never looks abandoned).
    """
    try:
        queued_since = await queue.oldest_unfinished()
    except Exception as exc:
        log.warning("could not read the task queue", extra={"error": type(exc).__name__})
        return now - lease(settings)
    if queued_since is None:
        return now - _HAND_OFF_GRACE
    return min(now - _HAND_OFF_GRACE, queued_since - _QUEUE_SKEW)


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


async def mark_undeliverable(store: Store, entry: OutboxEntry) -> None:
    """A reminder that will not arrive: its unanswered appointments go on the call list."""
    if not entry.kind.startswith("reminder") or entry.conversation_id is None:
        return
    conversation = await store.conversations.get(entry.conversation_id)
    if conversation is None:
        return
    for appointment_id in conversation.appointment_ids:
        appointment = await store.appointments.get(appointment_id)
        if appointment is not None and appointment.status in _UNANSWERED:
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


async def _release(store: Store, entry: OutboxEntry, until: datetime) -> OutboxState | None:
    """Give a claimed entry back for later, its attempt unspent (rate limit, open circuit)."""
    released = await store.outbox.update(
        entry.key,
        OutboxState.SENDING,
        state=OutboxState.PENDING,
        attempts=entry.attempts,
        next_attempt_at=until,
    )
    return OutboxState.PENDING if released else None


async def _end(
    store: Store,
    entry: OutboxEntry,
    state: OutboxState,
    reason: str,
    *,
    at: datetime,
    code: int | None = None,
    expected: OutboxState = OutboxState.SENDING,
    tried: bool = True,
) -> OutboxState | None:
    """FAILED or DEAD, with the dead letter and the call list in the same transaction.

    ``tried``: it reached the provider (a reminder that fails there puts the
    patient on the call list; one never sent, suppressed or expired, does not).
    """
    async with store.transaction() as tx:
        changed = await tx.outbox.update(
            entry.key,
            expected,
            state=state,
            failure=reason,
            error_code=code,
            attempts=entry.attempts,
        )
        if not changed:
            return None
        if state is OutboxState.DEAD:
            letter = DeadLetter(
                key=entry.key,
                reason=reason,
                at=at,
                attempts=entry.attempts,
                error_code=code,
                kind=entry.kind,
                conversation_id=entry.conversation_id,
            )
            await tx.dead_letters.add(letter)
        if tried:
            await mark_undeliverable(tx, entry)
    log.warning(
        "outbox entry ended", extra={"key": entry.key, "state": state.value, "reason": reason}
    )
    return state


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
        valid_for_seconds=valid_for,
    )
