"""Storing conversations (saved only by a version check)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.model import (
    Conversation,
)

__all__ = ["ConversationRepository"]


class ConversationRepository(Protocol):
    async def get(self, conversation_id: str) -> Conversation | None: ...
    async def active_for_phone(self, phones: Sequence[str]) -> Conversation | None:
        """The conversation a reply without context goes to, for any of ``phones`` (the
        number's variants): the newest active one; only when none is, the newest handed to
        staff (a hand-off must not swallow the answers to another running conversation)."""
        ...

    async def latest_for_phone(self, phones: Sequence[str]) -> Conversation | None:
        """The newest conversation for any of ``phones``, whatever its status."""
        ...

    async def for_appointment(self, appointment_id: str) -> list[Conversation]:
        """Every conversation about this appointment, newest first."""
        ...

    async def for_appointments(self, appointment_ids: Sequence[str]) -> list[Conversation]:
        """Every conversation about any of these appointments, each once (the reports' read)."""
        ...

    async def timed_out(self, now: datetime, limit: int) -> list[Conversation]:
        """Active conversations whose ``timeout_at`` has passed."""
        ...

    async def create(self, conversation: Conversation) -> bool:
        """Insert; False when one with the same id exists already."""
        ...

    async def save(self, conversation: Conversation, before: Conversation | None = None) -> None:
        """Store ``conversation`` if the stored version is ``conversation.version - 1``.

        Raises ConflictError otherwise: re-read, re-decide, retry. ``before``, the
        conversation as read at that version, lets storage write only what changed.
        """
        ...

    async def erase(self, phones: Sequence[str], subject: str, at: datetime) -> int:
        """Anonymise every conversation of any of ``phones`` (LGPD erasure); how many.

        Each gets ``subject`` (a keyed hash) for its number and keeps only what
        ``erased_data`` keeps (the counts and outcomes the reports read), as its next
        version: a turn that read it before cannot save over it.
        """
        ...
