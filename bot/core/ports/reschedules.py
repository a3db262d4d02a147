"""Storing patients' moves for the robot (read once each by cursor, acknowledged once)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.model import Reschedule, RescheduleState

__all__ = ["RescheduleRepository"]


class RescheduleRepository(Protocol):
    async def add(self, reschedule: Reschedule) -> Reschedule:
        """Record a move with the next ``seq``; return it as stored."""
        ...

    async def get(self, reschedule_id: str) -> Reschedule | None: ...
    async def pending_after(self, seq: int, now: datetime, limit: int) -> list[Reschedule]:
        """Held moves whose hold has not ended at ``now``, ``seq`` above the cursor, in order."""
        ...

    async def settle(
        self, reschedule_id: str, state: RescheduleState, detail: str, at: datetime
    ) -> bool:
        """Move a held move to ``state`` if it is still held and its hold has not ended at ``at``.

        The first settlement wins (an ack, or the expiry); False when it was settled already.
        """
        ...

    async def expire(self, reschedule_id: str, at: datetime) -> bool:
        """Mark a held move whose hold ended by ``at`` expired; False if it was settled first."""
        ...

    async def ended_holds(self, now: datetime, limit: int) -> list[Reschedule]:
        """Held moves whose hold ended by ``now`` (the expiry sweep)."""
        ...

    async def for_appointments(self, appointment_ids: Sequence[str]) -> list[Reschedule]:
        """Every move away from these appointments, in ``seq`` order (the daily report)."""
        ...
