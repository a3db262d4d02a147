"""Ports: what the services need from storage and the outside world.

Adapters implement them (``bot.adapters.mongo``, ``bot.adapters.memory``);
services depend only on these Protocols.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from bot.core.model import Appointment, AppointmentStatus, Conversation

__all__ = [
    "AppointmentRepository",
    "ConversationRepository",
    "InboundMessage",
    "InboundRepository",
    "OutboxEntry",
    "OutboxRepository",
    "OutboxState",
    "Store",
    "UpsertOutcome",
]


class UpsertOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message a patient sent, stored before anything else happens to it."""

    sid: str  # Twilio's MessageSid: the dedupe key
    phone: str  # E.164
    body: str
    received_at: datetime
    button_payload: str | None = None
    media_count: int = 0
    channel: str = "whatsapp"
    processed_at: datetime | None = None


class OutboxState(StrEnum):
    PENDING = "pending"  # written with the state change, not yet handed to a worker
    SENDING = "sending"  # a worker took it
    SENT = "sent"  # the provider accepted it
    UNKNOWN = "unknown"  # the request left and no answer came back: reconcile before any resend
    FAILED = "failed"  # rejected for good
    DEAD = "dead"  # gave up after the retry budget: a person must look


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
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    provider_sid: str | None = None
    error_code: int | None = None
    next_attempt_at: datetime | None = None


class AppointmentRepository(Protocol):
    async def upsert(self, appointment: Appointment) -> UpsertOutcome: ...
    async def get(self, appointment_id: str) -> Appointment | None: ...
    async def get_by_external_id(self, external_id: str) -> Appointment | None: ...
    async def set_status(self, appointment_id: str, status: AppointmentStatus) -> None: ...
    async def for_phone(self, phone: str) -> list[Appointment]: ...


class ConversationRepository(Protocol):
    async def get(self, conversation_id: str) -> Conversation | None: ...
    async def active_for_phone(self, phone: str) -> Conversation | None: ...
    async def create(self, conversation: Conversation) -> bool:
        """Insert; False when one with the same id exists already."""
        ...

    async def save(self, conversation: Conversation) -> None:
        """Store ``conversation`` if the stored version is ``conversation.version - 1``.

        Raises ConflictError otherwise: re-read, re-decide, retry.
        """
        ...


class InboundRepository(Protocol):
    async def add(self, message: InboundMessage) -> bool:
        """Insert; False when this MessageSid was stored already (a replay)."""
        ...

    async def mark_processed(self, sid: str, at: datetime) -> None: ...
    async def unprocessed(self, older_than: datetime, limit: int) -> list[InboundMessage]: ...


class OutboxRepository(Protocol):
    async def add(self, entry: OutboxEntry) -> bool:
        """Insert; False when an entry with this key exists (the effect was recorded before)."""
        ...

    async def get(self, key: str) -> OutboxEntry | None: ...
    async def update(self, key: str, expected: OutboxState, **changes: Any) -> bool:
        """Change fields if the entry is still in ``expected`` state (a compare-and-set)."""
        ...

    async def due(self, now: datetime, limit: int) -> list[OutboxEntry]:
        """Entries still pending whose next attempt is due, oldest first."""
        ...


class Store(Protocol):
    """The repositories, and a transaction spanning them."""

    @property
    def appointments(self) -> AppointmentRepository: ...
    @property
    def conversations(self) -> ConversationRepository: ...
    @property
    def inbound(self) -> InboundRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...

    def transaction(self) -> AbstractAsyncContextManager[Store]:
        """A Store whose writes commit together or not at all."""
        ...
