"""The sweeper's rules, pure: when a lease has expired, which provider message settles an
unknown outcome, when an unknown one is resent, and when a due entry is handed out again.

:mod:`bot.services.sweeper` does the reads and writes around them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.outbox import End, Resend, SendPolicy, Skip
from bot.core.ports import (
    OutboxEntry,
    OutboxState,
    ProviderMessage,
)

__all__ = [
    "hand_off_horizon",
    "lease_expired",
    "lookup_since",
    "reconcile_candidates",
    "should_kick",
    "unmatched_unknown",
]

# Our clock against the provider's (its timestamps have whole seconds).
_SKEW = timedelta(seconds=30)


# A hand-off whose task is no longer in the queue is re-done after this long ...
_HAND_OFF_GRACE = timedelta(seconds=5)


# ... and one handed out this close to the queue's oldest unfinished task counts as still in it
# (our clock against Redis's).
_QUEUE_SKEW = timedelta(seconds=5)


def reconcile_candidates(
    entry: OutboxEntry, found: Sequence[ProviderMessage], policy: SendPolicy
) -> list[ProviderMessage]:
    """The provider's messages that may be this UNKNOWN entry's send, oldest first.

    Created during the attempt (from the claim to the end of its lease) and, for
    free text, carrying the same text. Whether one is somebody else's is for the
    caller to look up.
    """
    return [
        message
        for message in sorted(found, key=lambda m: m.created_at)
        if message.created_at <= _attempt_ended(entry, policy) and _same_text(entry, message.body)
    ]


def lookup_since(entry: OutboxEntry) -> datetime:
    """Where the provider lookup for an UNKNOWN entry starts."""
    return _attempt_started(entry) - _SKEW


def unmatched_unknown(entry: OutboxEntry, policy: SendPolicy, now: datetime) -> Skip | Resend | End:
    """An UNKNOWN entry the provider does not have: wait out the grace, then resend or give up."""
    if now - (entry.unknown_since or now) < policy.unknown_grace:
        return Skip()
    if entry.attempts >= policy.retry.max_attempts:
        reason = f"no answer and not found at the provider after {entry.attempts} attempts"
        return End(OutboxState.DEAD, reason, expected=OutboxState.UNKNOWN)
    return Resend(now)


def _attempt_started(entry: OutboxEntry) -> datetime:
    return entry.claimed_at or entry.unknown_since or entry.created_at


def _attempt_ended(entry: OutboxEntry, policy: SendPolicy) -> datetime:
    return _attempt_started(entry) + policy.lease + _SKEW


def _same_text(entry: OutboxEntry, body: str) -> bool:
    # A template's body is rendered by the provider: only free text can be compared.
    if entry.content_sid is not None or not body or not entry.text:
        return True
    return body.strip() == entry.text.strip()


def lease_expired(entry: OutboxEntry, policy: SendPolicy, now: datetime) -> bool:
    """A SENDING entry whose attempt has outlived its lease: its outcome is unknown."""
    return now - (entry.claimed_at or entry.created_at) >= policy.lease


def hand_off_horizon(
    now: datetime, queued_since: datetime | None, policy: SendPolicy, *, queue_readable: bool
) -> datetime:
    """A hand-off made after this may still be in the queue: it is not re-done.

    The hand-off of the queue's oldest unfinished task (allowing for our clock against
    Redis's), and never later than a few seconds ago; without an answer from Redis, a
    lease ago (a live worker's attempt never looks abandoned).
    """
    if not queue_readable:
        return now - policy.lease
    if queued_since is None:
        return now - _HAND_OFF_GRACE
    return min(now - _HAND_OFF_GRACE, queued_since - _QUEUE_SKEW)


def should_kick(entry: OutboxEntry, now: datetime, horizon: datetime) -> bool:
    """Whether the sweeper hands a due PENDING entry to the queue again.

    Handed out since it became due: not again while its task may still be in the
    queue (a long queue is not a lost task); after that, doubling the wait each time.
    """
    last_kick = entry.kicked_at or entry.created_at
    due_since = entry.next_attempt_at or entry.created_at
    return not (
        last_kick >= due_since and (last_kick > horizon or now - last_kick < last_kick - due_since)
    )
