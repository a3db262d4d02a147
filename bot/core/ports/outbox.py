"""Storing the outbox, its delivery statuses and its dead letters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, Unpack

from bot.core.model import (
    DeadLetter,
    OutboxChanges,
    OutboxEntry,
    OutboxState,
    StatusEvent,
)

__all__ = ["DeadLetterRepository", "OutboxRepository", "StatusRepository"]


class OutboxRepository(Protocol):
    async def add(self, entry: OutboxEntry) -> bool:
        """Insert; False when an entry with this key exists (the effect was recorded before)."""
        ...

    async def get(self, key: str) -> OutboxEntry | None: ...
    async def by_provider_sid(self, sid: str) -> OutboxEntry | None: ...
    async def update(
        self, key: str, expected: OutboxState, **changes: Unpack[OutboxChanges]
    ) -> bool:
        """Change fields if the entry is still in ``expected`` state (a compare-and-set)."""
        ...

    async def due(self, now: datetime, handed_before: datetime, limit: int) -> list[OutboxEntry]:
        """Pending entries to hand out again, oldest first: those whose postponed attempt is
        due by ``now``, and those created (first handed out) by ``handed_before``."""
        ...

    async def in_state(self, state: OutboxState, limit: int) -> list[OutboxEntry]:
        """Entries in ``state``, oldest first (the sweeper's scan of sending/unknown ones)."""
        ...

    async def for_conversation(self, conversation_id: str) -> list[OutboxEntry]:
        """One conversation's entries, oldest first (what the robot's status lookup shows)."""
        ...

    async def for_conversations(self, conversation_ids: Sequence[str]) -> list[OutboxEntry]:
        """The entries of any of these conversations, oldest first (the reports' read)."""
        ...

    async def sent_with_buttons(
        self, phones: Sequence[str], since: datetime, until: datetime
    ) -> list[OutboxEntry]:
        """Entries to any of ``phones`` created in [since, until] that were sent (they have a
        provider sid) with buttons, oldest first: what a button tap then may answer."""
        ...


class DeadLetterRepository(Protocol):
    async def add(self, letter: DeadLetter) -> bool:
        """Insert; False when this key was dead-lettered already."""
        ...

    async def get(self, key: str) -> DeadLetter | None: ...
    async def newest(self, limit: int) -> list[DeadLetter]:
        """Newest first."""
        ...

    async def remove(self, key: str) -> bool: ...


class StatusRepository(Protocol):
    async def append(self, event: StatusEvent) -> bool:
        """Insert; False when this (sid, status) was recorded already."""
        ...

    async def project(self, event: StatusEvent, rank: int) -> bool:
        """Move the outbox entry's delivery status forward to ``event``'s if ``rank`` is higher."""
        ...
