"""The outbox, its delivery statuses and its dead letters, in dicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Unpack

from bot.adapters.memory.unique import insert_new
from bot.core.model import OutboxChanges
from bot.core.ports import (
    DeadLetter,
    OutboxEntry,
    OutboxState,
    StatusEvent,
)

__all__ = ["MemoryDeadLetters", "MemoryOutbox", "MemoryStatuses"]


class MemoryOutbox:
    def __init__(self) -> None:
        self.items: dict[str, OutboxEntry] = {}

    async def add(self, entry: OutboxEntry) -> bool:
        return insert_new(self.items, entry.key, entry)

    async def get(self, key: str) -> OutboxEntry | None:
        return self.items.get(key)

    async def by_provider_sid(self, sid: str) -> OutboxEntry | None:
        return next((e for e in self.items.values() if e.provider_sid == sid), None)

    async def update(
        self, key: str, expected: OutboxState, **changes: Unpack[OutboxChanges]
    ) -> bool:
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

    async def sent_with_buttons(
        self, phones: Sequence[str], since: datetime, until: datetime
    ) -> list[OutboxEntry]:
        found = [
            e
            for e in self.items.values()
            if e.phone in phones and since <= e.created_at <= until and e.provider_sid and e.buttons
        ]
        return sorted(found, key=lambda e: (e.created_at, e.key))


class MemoryStatuses:
    def __init__(self, outbox: MemoryOutbox) -> None:
        self.items: dict[str, StatusEvent] = {}
        self.outbox = outbox

    async def append(self, event: StatusEvent) -> bool:
        return insert_new(self.items, f"{event.sid}:{event.status}", event)

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


class MemoryDeadLetters:
    def __init__(self) -> None:
        self.items: dict[str, DeadLetter] = {}

    async def add(self, letter: DeadLetter) -> bool:
        return insert_new(self.items, letter.key, letter)

    async def get(self, key: str) -> DeadLetter | None:
        return self.items.get(key)

    async def newest(self, limit: int) -> list[DeadLetter]:
        return sorted(self.items.values(), key=lambda d: (d.at, d.key), reverse=True)[:limit]

    async def remove(self, key: str) -> bool:
        return self.items.pop(key, None) is not None
