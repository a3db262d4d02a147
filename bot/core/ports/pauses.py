"""Senders paused because the provider said they are over their messaging limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["SenderPause", "SenderPauseRepository"]


@dataclass(frozen=True, slots=True)
class SenderPause:
    """A sender's business-initiated sends wait until ``until`` (Twilio 63018 and the like)."""

    sender: str  # whatsapp:+55...
    until: datetime
    error_code: int | None
    at: datetime


class SenderPauseRepository(Protocol):
    async def pause(self, pause: SenderPause) -> None:
        """Pause the sender until ``pause.until``, or later if it is paused longer already."""
        ...

    async def until(self, sender: str, now: datetime) -> datetime | None:
        """When the sender's pause ends; None when it is not paused at ``now``."""
        ...

    async def active(self, now: datetime) -> list[SenderPause]:
        """Every sender paused at ``now``, by sender."""
        ...
