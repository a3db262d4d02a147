"""Patients' messages in a dict."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.adapters.memory.unique import insert_new
from bot.core.ports import (
    InboundMessage,
)

__all__ = ["MemoryInbound"]


class MemoryInbound:
    def __init__(self) -> None:
        self.items: dict[str, InboundMessage] = {}
        self.cursor: datetime | None = None

    async def reconciled_until(self) -> datetime | None:
        return self.cursor

    async def mark_reconciled(self, until: datetime) -> None:
        self.cursor = until if self.cursor is None else max(self.cursor, until)

    async def add(self, message: InboundMessage) -> bool:
        return insert_new(self.items, message.sid, message)

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

    async def last_received_at(self, *phones: str) -> datetime | None:
        found = [m.received_at for m in self.items.values() if m.phone in phones]
        return max(found, default=None)
