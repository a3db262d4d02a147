"""Numbers that opted out."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

__all__ = ["SuppressionRepository"]


class SuppressionRepository(Protocol):
    """Numbers that opted out: nothing is sent to them until they opt back in."""

    async def is_suppressed(self, *phones: str) -> bool:
        """True if any of ``phones`` (E.164; pass a number's variants) is suppressed."""
        ...

    async def add(self, phone: str, reason: str, at: datetime) -> bool:
        """Suppress ``phone``; False when it was suppressed already."""
        ...

    async def remove(self, phone: str) -> bool:
        """Lift the suppression (the patient opted back in); False when there was none."""
        ...
