"""Cancellations for the robot, in a dict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.core.ports import (
    Cancellation,
)

__all__ = ["MemoryCancellations"]


class MemoryCancellations:
    def __init__(self) -> None:
        self.items: dict[str, Cancellation] = {}

    async def add(self, cancellation: Cancellation) -> bool:
        if await self.for_appointment(cancellation.appointment_id) is not None:
            return False
        seq = max((c.seq for c in self.items.values()), default=0) + 1
        self.items[cancellation.id] = replace(cancellation, seq=seq)
        return True

    async def for_appointment(self, appointment_id: str) -> Cancellation | None:
        return next((c for c in self.items.values() if c.appointment_id == appointment_id), None)

    async def get(self, cancellation_id: str) -> Cancellation | None:
        return self.items.get(cancellation_id)

    async def pending_after(self, seq: int, limit: int) -> list[Cancellation]:
        found = [c for c in self.items.values() if c.result is None and c.seq > seq]
        return sorted(found, key=lambda c: c.seq)[:limit]

    async def acknowledge(
        self, cancellation_id: str, result: str, detail: str, at: datetime
    ) -> Cancellation | None:
        current = self.items.get(cancellation_id)
        if current is not None and current.result is None:
            current = replace(current, result=result, detail=detail, acked_at=at)
            self.items[cancellation_id] = current
        return current

    async def failed(self, limit: int) -> list[Cancellation]:
        found = [c for c in self.items.values() if c.result == "failed"]
        return sorted(found, key=lambda c: (c.acked_at or c.requested_at, c.seq), reverse=True)[
            :limit
        ]

    async def for_appointments(self, appointment_ids: Sequence[str]) -> list[Cancellation]:
        wanted = set(appointment_ids)
        return [c for c in self.items.values() if c.appointment_id in wanted]
