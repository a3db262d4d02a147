"""Numbers that opted out, in a dict."""

from __future__ import annotations

from datetime import datetime

from bot.adapters.memory.unique import insert_new

__all__ = ["MemorySuppressions"]


class MemorySuppressions:
    def __init__(self) -> None:
        self.items: dict[str, tuple[str, datetime]] = {}

    async def is_suppressed(self, *phones: str) -> bool:
        return any(phone in self.items for phone in phones)

    async def add(self, phone: str, reason: str, at: datetime) -> bool:
        return insert_new(self.items, phone, (reason, at))

    async def remove(self, phone: str) -> bool:
        return self.items.pop(phone, None) is not None
