"""In-memory twins of the storage ports, for pure unit tests and the flow CLI.

Same contracts as the Mongo adapters (duplicate keys refused, version-checked
saves, compare-and-set outbox updates); a transaction restores the previous
contents if its block raises.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.core.errors import ConflictError
from bot.core.model import Appointment, AppointmentStatus, Conversation, ConversationStatus
from bot.core.ports import InboundMessage, OutboxEntry, OutboxState, UpsertOutcome

__all__ = ["MemoryStore"]


class MemoryAppointments:
    def __init__(self) -> None:
        self.items: dict[str, Appointment] = {}

    async def upsert(self, appointment: Appointment) -> UpsertOutcome:
        current = await self.get_by_external_id(appointment.external_id)
        if current is None:
            self.items[appointment.id] = appointment
            return UpsertOutcome.CREATED
        updated = replace(appointment, id=current.id)
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


class MemoryConversations:
    def __init__(self) -> None:
        self.items: dict[str, Conversation] = {}

    async def get(self, conversation_id: str) -> Conversation | None:
        return self.items.get(conversation_id)

    async def active_for_phone(self, phone: str) -> Conversation | None:
        found = [
            c
            for c in self.items.values()
            if c.phone == phone and c.status != ConversationStatus.DONE
        ]
        return max(found, key=lambda c: c.created_at, default=None)

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

    async def update(self, key: str, expected: OutboxState, **changes: Any) -> bool:
        current = self.items.get(key)
        if current is None or current.state != expected:
            return False
        self.items[key] = replace(current, **changes)
        return True

    async def due(self, now: datetime, limit: int) -> list[OutboxEntry]:
        found = [
            e
            for e in self.items.values()
            if e.state == OutboxState.PENDING
            and (e.next_attempt_at is None or e.next_attempt_at <= now)
        ]
        return sorted(found, key=lambda e: e.created_at)[:limit]


class MemoryStore:
    """All repositories in dicts; ``transaction()`` rolls back on an exception."""

    def __init__(self) -> None:
        self.appointments = MemoryAppointments()
        self.conversations = MemoryConversations()
        self.inbound = MemoryInbound()
        self.outbox = MemoryOutbox()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryStore]:
        snapshot = copy.copy(self.__dict__)
        contents = {
            name: {field: copy.copy(value) for field, value in vars(repo).items()}
            for name, repo in snapshot.items()
        }
        try:
            yield self
        except BaseException:
            for name, repo in snapshot.items():
                repo.__dict__.update(contents[name])
            raise
