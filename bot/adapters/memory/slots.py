"""The robot's open slots and their holds, in a dict."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from bot.core.model import FREED_PREFIX, SlotQuery
from bot.core.ports import Slot, SlotState, UpsertOutcome

__all__ = ["MemorySlots"]


class MemorySlots:
    def __init__(self) -> None:
        self.items: dict[str, Slot] = {}

    async def upsert(self, slot: Slot) -> UpsertOutcome:
        current = await self.get_by_external_id(slot.external_id)
        if current is None:
            self.items[slot.id] = replace(slot, state=SlotState.OPEN, held_by=None, held_until=None)
            return UpsertOutcome.CREATED
        state = current.state if current.state is SlotState.BOOKED else SlotState.OPEN
        pushed = replace(
            slot, id=current.id, state=state, held_by=current.held_by, held_until=current.held_until
        )
        if pushed == current:
            return UpsertOutcome.UNCHANGED
        self.items[current.id] = pushed
        return UpsertOutcome.UPDATED

    async def get(self, slot_id: str) -> Slot | None:
        return self.items.get(slot_id)

    async def get_by_external_id(self, external_id: str) -> Slot | None:
        return next((s for s in self.items.values() if s.external_id == external_id), None)

    async def withdraw_missing(self, unit: str, day: str, keep: Collection[str]) -> int:
        gone = [
            s
            for s in self.items.values()
            if (s.unit, s.day, s.state) == (unit, day, SlotState.OPEN)
            and s.external_id not in keep
            and not s.external_id.startswith(FREED_PREFIX)
        ]
        for slot in gone:
            self.items[slot.id] = replace(slot, state=SlotState.WITHDRAWN)
        return len(gone)

    async def open_from(self, query: SlotQuery, now: datetime, limit: int) -> list[Slot]:
        found = [
            s
            for s in self.items.values()
            if (s.unit, s.specialty, s.state) == (query.unit, query.specialty, SlotState.OPEN)
            and s.starts_at >= query.earliest
            and (query.doctor is None or s.doctor == query.doctor)
            and (s.held_by is None or (s.held_until is not None and s.held_until <= now))
        ]
        return sorted(found, key=lambda s: (s.starts_at, s.external_id))[:limit]

    async def hold(self, slot_id: str, holder: str, until: datetime, now: datetime) -> bool:
        slot = self.items.get(slot_id)
        free = slot is not None and (
            slot.held_by is None or (slot.held_until is not None and slot.held_until <= now)
        )
        if slot is None or slot.state is not SlotState.OPEN or not free:
            return False
        self.items[slot_id] = replace(slot, held_by=holder, held_until=until)
        return True

    async def release(self, slot_id: str, holder: str) -> bool:
        slot = self.items.get(slot_id)
        if slot is None or slot.held_by != holder:
            return False
        self.items[slot_id] = replace(slot, held_by=None, held_until=None)
        return True

    async def withdraw(self, slot_id: str) -> bool:
        slot = self.items.get(slot_id)
        if slot is None or slot.state is not SlotState.OPEN:
            return False
        self.items[slot_id] = replace(slot, state=SlotState.WITHDRAWN)
        return True

    async def book(self, slot_id: str, holder: str) -> bool:
        slot = self.items.get(slot_id)
        if slot is None or slot.held_by != holder:
            return False
        self.items[slot_id] = replace(slot, state=SlotState.BOOKED)
        return True
