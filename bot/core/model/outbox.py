"""The outbox: what to send, written with the state change that caused it, and what was given up on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypedDict

__all__ = ["DeadLetter", "EmailDeliveryState", "OutboxChanges", "OutboxEntry", "OutboxState"]


class OutboxState(StrEnum):
    PENDING = "pending"  # written with the state change, not yet handed to a worker
    SENDING = "sending"  # a worker took it
    SENT = "sent"  # the provider accepted it
    UNKNOWN = "unknown"  # the request left and no answer came back: reconcile before any resend
    FAILED = "failed"  # rejected for good
    DEAD = "dead"  # gave up after the retry budget: a person must look


class EmailDeliveryState(StrEnum):
    """A report email's state (``email_deliveries``); stored as these strings."""

    PENDING = "pending"  # not sent yet; the next attempt is at ``next_attempt_at``
    SENT = "sent"  # the mail server accepted it
    FAILED = "failed"  # the budget ran out: a person looks (the report stays downloadable)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """Something to send, written in the same transaction as the state change that caused it.

    ``key`` is unique: the same effect produced twice (a replayed webhook, two
    schedulers) is stored once and so sent once.
    """

    key: str
    conversation_id: str | None
    phone: str
    sender: str  # whatsapp:+55...
    kind: str  # reminder, reminder_2, reply, staff ...
    text: str  # rendered text (simulator, logs never see it)
    created_at: datetime
    content_sid: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    buttons: tuple[tuple[str, str], ...] = ()
    choices: tuple[tuple[str, str, str], ...] = ()  # a list of (id, item, description)
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    provider_sid: str | None = None
    error_code: int | None = None
    next_attempt_at: datetime | None = None
    # Projected from status callbacks, forward only (queued < sending < sent < delivered < read).
    delivery_status: str | None = None
    delivery_rank: int = 0
    delivery_error_code: int | None = None
    # Sending bookkeeping (bot.services.outbox).
    claimed_at: datetime | None = None  # when the current attempt began: its lease starts here
    kicked_at: datetime | None = None  # when the sweeper last handed it to the queue
    unknown_since: datetime | None = None  # when its outcome became unknown
    expires_at: datetime | None = None  # never deliver after this (a reminder: the appointment)
    failure: str | None = None  # why it ended FAILED or DEAD, in words (no patient data)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An outbox entry given up on: a person must look (listed, never deleted by itself)."""

    key: str  # the outbox entry's key
    reason: str
    at: datetime
    attempts: int = 0
    error_code: int | None = None
    kind: str = ""
    conversation_id: str | None = None


class OutboxChanges(TypedDict, total=False):
    """The fields an outbox update may change (its content is written once, never changed)."""

    state: OutboxState
    attempts: int
    provider_sid: str | None
    error_code: int | None
    next_attempt_at: datetime | None
    delivery_status: str | None
    delivery_rank: int
    delivery_error_code: int | None
    claimed_at: datetime | None
    kicked_at: datetime | None
    unknown_since: datetime | None
    expires_at: datetime | None
    failure: str | None
