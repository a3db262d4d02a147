"""Storing cancellations for the robot (read once each by cursor, acknowledged once)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.model import (
    Cancellation,
)

__all__ = ["CancellationRepository"]


class CancellationRepository(Protocol):
    async def add(self, cancellation: Cancellation) -> bool:
        """Record one per appointment; False when it was recorded already."""
        ...

    async def for_appointment(self, appointment_id: str) -> Cancellation | None: ...
    async def get(self, cancellation_id: str) -> Cancellation | None: ...
    async def pending_after(self, seq: int, limit: int) -> list[Cancellation]:
        """Unacknowledged cancellations with ``seq`` above the cursor, in ``seq`` order."""
        ...

    async def acknowledge(
        self, cancellation_id: str, result: str, detail: str, at: datetime
    ) -> Cancellation | None:
        """Record the robot's result if none is recorded yet; return the stored cancellation.

        The first acknowledgement wins: the caller compares the returned ``result``
        with its own to tell a repeat from a conflict. None when the id is unknown.
        """
        ...

    async def failed(self, limit: int) -> list[Cancellation]:
        """Cancellations the robot could not apply, newest acknowledgement first (staff's list)."""
        ...

    async def for_appointments(self, appointment_ids: Sequence[str]) -> list[Cancellation]:
        """The cancellations of any of these appointments (the reports' read)."""
        ...
