"""In-memory twins of the storage ports, for pure unit tests and the flow CLI.

Same contracts as the Mongo adapters (duplicate keys refused, version-checked
saves, compare-and-set outbox updates); a transaction restores the previous
contents if its block raises.
"""

from __future__ import annotations

import copy
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.core.errors import ConflictError
from bot.core.model import Appointment, AppointmentStatus, Conversation, ConversationStatus
from bot.core.ports import (
    ApiToken,
    Cancellation,
    DeadLetter,
    IdempotencyRecord,
    InboundMessage,
    Operation,
    OutboxEntry,
    OutboxState,
    StatusEvent,
    UpsertOutcome,
)

__all__ = ["MemoryLocks", "MemoryQueue", "MemoryStore"]


class MemoryAppointments:
    def __init__(self) -> None:
        self.items: dict[str, Appointment] = {}

    async def upsert(
        self, appointment: Appointment, *, keep_status: frozenset[AppointmentStatus] = frozenset()
    ) -> UpsertOutcome:
        current = await self.get_by_external_id(appointment.external_id)
        if current is None:
            self.items[appointment.id] = replace(appointment, reminder_due_at=None)
            return UpsertOutcome.CREATED
        updated = replace(appointment, id=current.id, reminder_due_at=current.reminder_due_at)
        if current.status in keep_status:
            updated = replace(updated, status=current.status)
        if updated == current:
            return UpsertOutcome.UNCHANGED
        self.items[current.id] = updated
        return UpsertOutcome.UPDATED

    async def get(self, appointment_id: str) -> Appointment | None:
        return self.items.get(appointment_id)

    async def get_by_external_id(self, external_id: str) -> Appointment | None:
        return next((a for a in self.items.values() if a.external_id == external_id), None)

    async def set_status(self, appointment_id: str, status: AppointmentStatus) -> None:
        if appointment_id in self.items:
            self.items[appointment_id] = replace(self.items[appointment_id], status=status)

    async def for_phone(self, phone: str) -> list[Appointment]:
        found = [a for a in self.items.values() if a.phone == phone]
        return sorted(found, key=lambda a: a.starts_at)

    async def set_reminder_due(self, appointment_id: str, due_at: datetime | None) -> None:
        if appointment_id in self.items:
            self.items[appointment_id] = replace(self.items[appointment_id], reminder_due_at=due_at)

    async def reminders_due(self, now: datetime, limit: int) -> list[Appointment]:
        found = [a for a in self.items.values() if a.reminder_due_at and a.reminder_due_at <= now]
        return sorted(found, key=lambda a: a.reminder_due_at or now)[:limit]

    async def between(
        self, start: datetime, end: datetime, unit: str | None = None
    ) -> list[Appointment]:
        found = [
            a
            for a in self.items.values()
            if start <= a.starts_at < end and (unit is None or a.unit == unit)
        ]
        return sorted(found, key=lambda a: a.starts_at)

    async def status_times(
        self, start: datetime, end: datetime, unit: str | None = None
    ) -> list[tuple[datetime, AppointmentStatus]]:
        return [(a.starts_at, a.status) for a in await self.between(start, end, unit)]


class MemoryConversations:
    def __init__(self) -> None:
        self.items: dict[str, Conversation] = {}

    async def get(self, conversation_id: str) -> Conversation | None:
        return self.items.get(conversation_id)

    async def active_for_phone(self, phones: Sequence[str]) -> Conversation | None:
        found = [
            c
            for c in self.items.values()
            if c.phone in phones and c.status != ConversationStatus.DONE
        ]
        return max(found, key=lambda c: c.created_at, default=None)

    async def for_appointment(self, appointment_id: str) -> list[Conversation]:
        found = [c for c in self.items.values() if appointment_id in c.appointment_ids]
        return sorted(found, key=lambda c: c.created_at, reverse=True)

    async def for_appointments(self, appointment_ids: Sequence[str]) -> list[Conversation]:
        wanted = set(appointment_ids)
        return [c for c in self.items.values() if wanted.intersection(c.appointment_ids)]

    async def timed_out(self, now: datetime, limit: int) -> list[Conversation]:
        found = [
            c
            for c in self.items.values()
            if c.timeout_at and c.timeout_at <= now and c.status == ConversationStatus.ACTIVE
        ]
        return sorted(found, key=lambda c: c.timeout_at or now)[:limit]

    async def create(self, conversation: Conversation) -> bool:
        if conversation.id in self.items:
            return False
        self.items[conversation.id] = conversation
        return True

    async def save(self, conversation: Conversation) -> None:
        stored = self.items.get(conversation.id)
        if stored is None or stored.version != conversation.version - 1:
            raise ConflictError(
                f"conversation {conversation.id} changed since version {conversation.version - 1}"
            )
        self.items[conversation.id] = conversation


class MemoryInbound:
    def __init__(self) -> None:
        self.items: dict[str, InboundMessage] = {}

    async def add(self, message: InboundMessage) -> bool:
        if message.sid in self.items:
            return False
        self.items[message.sid] = message
        return True

    async def mark_processed(self, sid: str, at: datetime) -> None:
        if sid in self.items:
            self.items[sid] = replace(self.items[sid], processed_at=at)

    async def unprocessed(self, older_than: datetime, limit: int) -> list[InboundMessage]:
        found = [
            m for m in self.items.values() if m.processed_at is None and m.received_at < older_than
        ]
        return sorted(found, key=lambda m: m.received_at)[:limit]

    async def unprocessed_for(self, phone: str) -> list[InboundMessage]:
        found = [m for m in self.items.values() if m.phone == phone and m.processed_at is None]
        return sorted(found, key=lambda m: (m.received_at, m.sid))


class MemoryOutbox:
    def __init__(self) -> None:
        self.items: dict[str, OutboxEntry] = {}

    async def add(self, entry: OutboxEntry) -> bool:
        if entry.key in self.items:
            return False
        self.items[entry.key] = entry
        return True

    async def get(self, key: str) -> OutboxEntry | None:
        return self.items.get(key)

    async def by_provider_sid(self, sid: str) -> OutboxEntry | None:
        return next((e for e in self.items.values() if e.provider_sid == sid), None)

    async def update(self, key: str, expected: OutboxState, **changes: Any) -> bool:
        current = self.items.get(key)
        if current is None or current.state != expected:
            return False
        self.items[key] = replace(current, **changes)
        return True

    async def due(self, now: datetime, handed_before: datetime, limit: int) -> list[OutboxEntry]:
        found = [
            e
            for e in self.items.values()
            if e.state == OutboxState.PENDING
            and (
                (e.next_attempt_at is not None and e.next_attempt_at <= now)
                or (e.next_attempt_at is None and e.created_at <= handed_before)
            )
        ]
        return sorted(found, key=lambda e: e.created_at)[:limit]

    async def in_state(self, state: OutboxState, limit: int) -> list[OutboxEntry]:
        found = [e for e in self.items.values() if e.state == state]
        return sorted(found, key=lambda e: e.created_at)[:limit]

    async def for_conversation(self, conversation_id: str) -> list[OutboxEntry]:
        found = [e for e in self.items.values() if e.conversation_id == conversation_id]
        return sorted(found, key=lambda e: (e.created_at, e.key))

    async def for_conversations(self, conversation_ids: Sequence[str]) -> list[OutboxEntry]:
        wanted = set(conversation_ids)
        found = [
            replace(e, text="", variables={})
            for e in self.items.values()
            if e.conversation_id in wanted
        ]
        return sorted(found, key=lambda e: (e.created_at, e.key))


class MemoryStatuses:
    def __init__(self, outbox: MemoryOutbox) -> None:
        self.items: dict[str, StatusEvent] = {}
        self.outbox = outbox

    async def append(self, event: StatusEvent) -> bool:
        key = f"{event.sid}:{event.status}"
        if key in self.items:
            return False
        self.items[key] = event
        return True

    async def project(self, event: StatusEvent, rank: int) -> bool:
        entry = self.outbox.items.get(event.key or "") or next(
            (e for e in self.outbox.items.values() if e.provider_sid == event.sid), None
        )
        if entry is None or entry.delivery_rank >= rank:
            return False
        self.outbox.items[entry.key] = replace(
            entry,
            delivery_status=event.status,
            delivery_rank=rank,
            delivery_error_code=event.error_code,
        )
        return True


class MemoryCancellations:
    def __init__(self) -> None:
        self.items: dict[str, Cancellation] = {}

    async def add(self, cancellation: Cancellation) -> bool:
        if await self.for_appointment(cancellation.appointment_id) is not None:
            return False
        seq = max((c.seq for c in self.items.values()), default=0) + 1
        self.items[cancellation.id] = replace(cancellation, seq=seq)
        return True

    async def for_appointment(self, appointment_id: str) -> Cancellation | None:
        return next((c for c in self.items.values() if c.appointment_id == appointment_id), None)

    async def get(self, cancellation_id: str) -> Cancellation | None:
        return self.items.get(cancellation_id)

    async def pending_after(self, seq: int, limit: int) -> list[Cancellation]:
        found = [c for c in self.items.values() if c.result is None and c.seq > seq]
        return sorted(found, key=lambda c: c.seq)[:limit]

    async def acknowledge(
        self, cancellation_id: str, result: str, detail: str, at: datetime
    ) -> Cancellation | None:
        current = self.items.get(cancellation_id)
        if current is not None and current.result is None:
            current = replace(current, result=result, detail=detail, acked_at=at)
            self.items[cancellation_id] = current
        return current

    async def failed(self, limit: int) -> list[Cancellation]:
        found = [c for c in self.items.values() if c.result == "failed"]
        return sorted(found, key=lambda c: (c.acked_at or c.requested_at, c.seq), reverse=True)[
            :limit
        ]

    async def for_appointments(self, appointment_ids: Sequence[str]) -> list[Cancellation]:
        wanted = set(appointment_ids)
        return [c for c in self.items.values() if c.appointment_id in wanted]


class MemoryTokens:
    def __init__(self) -> None:
        self.items: dict[str, ApiToken] = {}

    async def add(self, token: ApiToken) -> bool:
        current = self.items.get(token.name)
        if current is not None and current.revoked_at is None:
            return False
        self.items[token.name] = token
        return True

    async def by_hash(self, token_hash: str) -> ApiToken | None:
        return next((t for t in self.items.values() if t.token_hash == token_hash), None)

    async def all(self) -> list[ApiToken]:
        return sorted(self.items.values(), key=lambda t: t.name)

    async def touch(self, name: str, at: datetime, every: timedelta) -> None:
        current = self.items.get(name)
        if current is not None and (
            current.last_used_at is None or current.last_used_at <= at - every
        ):
            self.items[name] = replace(current, last_used_at=at)

    async def revoke(self, name: str, at: datetime) -> bool:
        current = self.items.get(name)
        if current is None or current.revoked_at is not None:
            return False
        self.items[name] = replace(current, revoked_at=at)
        return True


class MemoryIdempotency:
    def __init__(self) -> None:
        self.items: dict[str, IdempotencyRecord] = {}

    async def claim(
        self, key: str, fingerprint: str, at: datetime, stale_after: timedelta
    ) -> IdempotencyRecord | None:
        current = self.items.get(key)
        if current is None or (current.status is None and current.created_at <= at - stale_after):
            self.items[key] = IdempotencyRecord(key, fingerprint, at)
            return None
        return current

    async def complete(self, key: str, status: int, body: str) -> None:
        if key in self.items:
            self.items[key] = replace(self.items[key], status=status, body=body)

    async def release(self, key: str) -> None:
        current = self.items.get(key)
        if current is not None and current.status is None:
            del self.items[key]


class MemoryOperations:
    def __init__(self) -> None:
        self.items: dict[str, Operation] = {}

    async def create(self, operation: Operation) -> None:
        self.items[operation.id] = operation

    async def get(self, operation_id: str) -> Operation | None:
        return self.items.get(operation_id)

    async def progress(self, operation_id: str, done: int, at: datetime) -> None:
        if operation_id in self.items:
            self.items[operation_id] = replace(self.items[operation_id], done=done, updated_at=at)

    async def finish(
        self,
        operation_id: str,
        at: datetime,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        current = self.items.get(operation_id)
        if current is not None:
            self.items[operation_id] = replace(
                current,
                state="failed" if error else "succeeded",
                done=current.total if not error else current.done,
                result=result,
                error=error,
                updated_at=at,
            )


class MemoryFlowVersions:
    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    async def save(self, name: str, version: str, source: str) -> None:
        self.items.setdefault(f"{name}@{version}", source)

    async def source(self, name: str, version: str) -> str | None:
        return self.items.get(f"{name}@{version}")


class MemorySuppressions:
    def __init__(self) -> None:
        self.items: dict[str, tuple[str, datetime]] = {}

    async def is_suppressed(self, *phones: str) -> bool:
        return any(phone in self.items for phone in phones)

    async def add(self, phone: str, reason: str, at: datetime) -> bool:
        if phone in self.items:
            return False
        self.items[phone] = (reason, at)
        return True

    async def remove(self, phone: str) -> bool:
        return self.items.pop(phone, None) is not None


class MemoryDeadLetters:
    def __init__(self) -> None:
        self.items: dict[str, DeadLetter] = {}

    async def add(self, letter: DeadLetter) -> bool:
        if letter.key in self.items:
            return False
        self.items[letter.key] = letter
        return True

    async def get(self, key: str) -> DeadLetter | None:
        return self.items.get(key)

    async def newest(self, limit: int) -> list[DeadLetter]:
        return sorted(self.items.values(), key=lambda d: (d.at, d.key), reverse=True)[:limit]

    async def remove(self, key: str) -> bool:
        return self.items.pop(key, None) is not None


class MemoryStore:
    """All repositories in dicts; ``transaction()`` rolls back on an exception."""

    def __init__(self) -> None:
        self.appointments = MemoryAppointments()
        self.conversations = MemoryConversations()
        self.inbound = MemoryInbound()
        self.outbox = MemoryOutbox()
        self.statuses = MemoryStatuses(self.outbox)
        self.cancellations = MemoryCancellations()
        self.suppressions = MemorySuppressions()
        self.dead_letters = MemoryDeadLetters()
        self.flow_versions = MemoryFlowVersions()
        self.tokens = MemoryTokens()
        self.idempotency = MemoryIdempotency()
        self.operations = MemoryOperations()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryStore]:
        repositories = list(vars(self).values())
        saved = [copy.copy(repo.items) for repo in repositories]
        try:
            yield self
        except BaseException:
            for repo, items in zip(repositories, saved, strict=True):
                repo.items = items
            raise


class MemoryQueue:
    """A TaskQueue that only records what was handed off (for tests of the web side)."""

    def __init__(self) -> None:
        self.sends: list[str] = []

    async def enqueue_send(self, key: str) -> None:
        self.sends.append(key)

    async def oldest_unfinished(self) -> datetime | None:
        return None  # nothing takes these tasks: none is ever waiting for a worker


class MemoryLocks:
    """Per-key locks in one process, with the Redis locks' contract (TTL, holder-only release)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.held: dict[str, tuple[object, float]] = {}  # name -> (holder, expires at)

    @asynccontextmanager
    async def hold(self, name: str, ttl_ms: int = 30_000) -> AsyncIterator[bool]:
        """Yield True if this caller got the lock, False if someone else holds it."""
        now, token = self.clock(), object()
        current = self.held.get(name)
        acquired = current is None or current[1] <= now
        if acquired:
            self.held[name] = (token, now + ttl_ms / 1000)
        try:
            yield acquired
        finally:
            if acquired and self.held.get(name, (None, 0.0))[0] is token:
                del self.held[name]
