"""The robot's push of open slots: create or update by ``external_id``, withdraw what a full day lacks.

Each slot is written on its own (one bad item never blocks the others). A push
that names a unit's day as full lists every open time of that day: the open
slots of that day missing from it were taken in the legacy system, so they are
withdrawn and no longer offered. A held slot keeps its hold either way: the
move holding it is on its way to the robot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.ports import Slot, Store, UpsertOutcome

__all__ = ["SlotService"]

log = logging.getLogger(__name__)

_PARALLEL = 8


@dataclass(frozen=True)
class SlotService:
    store: Store

    async def push_many(self, slots: Sequence[Slot]) -> list[tuple[UpsertOutcome, Slot]]:
        """Upsert each (distinct ``external_id``s), a few at a time; results in input order."""
        limit = asyncio.Semaphore(_PARALLEL)

        async def one(slot: Slot) -> tuple[UpsertOutcome, Slot]:
            async with limit:
                outcome = await self.store.slots.upsert(slot)
                stored = await self.store.slots.get_by_external_id(slot.external_id)
            assert stored is not None  # just written; slots are never deleted
            return outcome, stored

        return list(await asyncio.gather(*(one(slot) for slot in slots)))

    async def withdraw_missing(
        self, full_days: Sequence[tuple[str, str]], slots: Sequence[Slot]
    ) -> int:
        """For each full (unit, day): withdraw its open slots that ``slots`` does not list."""
        withdrawn = 0
        for unit, day in dict.fromkeys(full_days):
            keep = [s.external_id for s in slots if (s.unit, s.day) == (unit, day)]
            withdrawn += await self.store.slots.withdraw_missing(unit, day, keep)
        if withdrawn:
            log.info("slots withdrawn by a full push", extra={"withdrawn": withdrawn})
        return withdrawn
