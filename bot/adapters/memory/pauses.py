"""Paused senders, in a dict."""

from __future__ import annotations

from datetime import datetime

from bot.core.ports.pauses import SenderPause

__all__ = ["MemorySenderPauses"]


class MemorySenderPauses:
    def __init__(self) -> None:
        self.items: dict[str, SenderPause] = {}

    async def pause(self, pause: SenderPause) -> None:
        current = self.items.get(pause.sender)
        if current is None or current.until < pause.until:
            self.items[pause.sender] = pause

    async def until(self, sender: str, now: datetime) -> datetime | None:
        pause = self.items.get(sender)
        return pause.until if pause is not None and pause.until > now else None

    async def active(self, now: datetime) -> list[SenderPause]:
        return sorted((p for p in self.items.values() if p.until > now), key=lambda p: p.sender)
