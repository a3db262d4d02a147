"""Storing patients' messages before anything else happens to them."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.core.model import (
    InboundMessage,
)

__all__ = ["InboundRepository"]


class InboundRepository(Protocol):
    async def add(self, message: InboundMessage) -> bool:
        """Insert; False when this MessageSid was stored already (a replay)."""
        ...

    async def mark_processed(self, sid: str, at: datetime) -> None: ...
    async def unprocessed(self, older_than: datetime, limit: int) -> list[InboundMessage]:
        """Messages whose turn never completed, oldest first (for the recovery scan)."""
        ...

    async def unprocessed_for(self, phone: str) -> list[InboundMessage]:
        """One patient's messages still waiting for their turn, in arrival order."""
        ...

    async def last_received_at(self, *phones: str) -> datetime | None:
        """When the newest message from any of ``phones`` (a number's variants) arrived."""
        ...

    async def reconciled_until(self) -> datetime | None:
        """The newest provider time the reconciliation has seen (None before its first run)."""
        ...

    async def mark_reconciled(self, until: datetime) -> None:
        """Move the reconciliation's cursor forward to ``until`` (never back)."""
        ...
