"""Patients' moves for the robot, in a dict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.core.ports import Reschedule, RescheduleState

__all__ = ["MemoryReschedules"]


class MemoryReschedules:
    def __init__(self) -> None:
        self.items: dict[str, Reschedule] = {}

    async def add(self, reschedule: Reschedule) -> Reschedule:
        seq = max((r.seq for r in self.items.values()), default=0) + 1
        stored = replace(reschedule, seq=seq)
        self.items[reschedule.id] = stored
        return stored

    async def get(self, reschedule_id: str) -> Reschedule | None:
        return self.items.get(reschedule_id)

    async def pending_after(self, seq: int, now: datetime, limit: int) -> list[Reschedule]:
        found = [
            r
            for r in self.items.values()
            if r.state is RescheduleState.HELD and r.seq > seq and r.hold_until > now
        ]
        return sorted(found, key=lambda r: r.seq)[:limit]

    async def settle(
        self, reschedule_id: str, state: RescheduleState, detail: str, at: datetime
    ) -> bool:
        current = self.items.get(reschedule_id)
        if current is None or current.state is not RescheduleState.HELD or current.hold_until <= at:
            return False
        self.items[reschedule_id] = replace(current, state=state, detail=detail, acked_at=at)
        return True

    async def expire(self, reschedule_id: str, at: datetime) -> bool:
        current = self.items.get(reschedule_id)
        if current is None or current.state is not RescheduleState.HELD or current.hold_until > at:
            return False
        self.items[reschedule_id] = replace(current, state=RescheduleState.EXPIRED, acked_at=at)
        return True

    async def ended_holds(self, now: datetime, limit: int) -> list[Reschedule]:
        found = [
            r
            for r in self.items.values()
            if r.state is RescheduleState.HELD and r.hold_until <= now
        ]
        return sorted(found, key=lambda r: r.seq)[:limit]

    async def for_appointments(self, appointment_ids: Sequence[str]) -> list[Reschedule]:
        wanted = set(appointment_ids)
        return sorted(
            (r for r in self.items.values() if r.appointment_id in wanted), key=lambda r: r.seq
        )
