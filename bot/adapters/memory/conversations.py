"""Conversations in a dict, saved by version check like the Mongo adapter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.adapters.memory.unique import insert_new
from bot.core.errors import ConflictError
from bot.core.model import Conversation, ConversationStatus, erased

__all__ = ["MemoryConversations"]


class MemoryConversations:
    def __init__(self) -> None:
        self.items: dict[str, Conversation] = {}

    async def get(self, conversation_id: str) -> Conversation | None:
        return self.items.get(conversation_id)

    async def active_for_phone(self, phones: Sequence[str]) -> Conversation | None:
        for status in (ConversationStatus.ACTIVE, ConversationStatus.HANDED_OFF):
            found = [c for c in self.items.values() if c.phone in phones and c.status == status]
            if found:
                return max(found, key=lambda c: c.created_at)
        return None

    async def latest_for_phone(self, phones: Sequence[str]) -> Conversation | None:
        found = [c for c in self.items.values() if c.phone in phones]
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
        return insert_new(self.items, conversation.id, conversation)

    async def save(self, conversation: Conversation, before: Conversation | None = None) -> None:
        stored = self.items.get(conversation.id)
        if stored is None or stored.version != conversation.version - 1:
            raise ConflictError(
                f"conversation {conversation.id} changed since version {conversation.version - 1}"
            )
        self.items[conversation.id] = conversation

    async def erase(self, phones: Sequence[str], subject: str, at: datetime) -> int:
        found = [c for c in self.items.values() if c.phone in phones]
        for c in found:
            self.items[c.id] = erased(c, subject, at)
        return len(found)
