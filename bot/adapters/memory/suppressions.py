"""Numbers that opted out, in a dict."""

from __future__ import annotations

from datetime import datetime

__all__ = ["MemorySuppressions"]


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
