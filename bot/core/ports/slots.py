"""Storing the robot's open slots, and holding one for a patient (one holder at a time)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from bot.core.model import Slot, SlotQuery
from bot.core.ports.appointments import UpsertOutcome

__all__ = ["SlotRepository"]


class SlotRepository(Protocol):
    async def upsert(self, slot: Slot) -> UpsertOutcome:
        """Create or update by ``external_id``; ``slot.id`` is used only if it is new.

        A pushed slot is open again (a withdrawn one comes back); a hold on it stays.
        """
        ...

    async def get(self, slot_id: str) -> Slot | None: ...
    async def get_by_external_id(self, external_id: str) -> Slot | None: ...
    async def withdraw_missing(self, unit: str, day: str, keep: Collection[str]) -> int:
        """Withdraw the open slots of ``unit`` on ``day`` whose external_id is not in ``keep``."""
        ...

    async def open_from(self, query: SlotQuery, now: datetime, limit: int) -> list[Slot]:
        """Open slots that fit ``query`` and are not held at ``now``, nearest first."""
        ...

    async def hold(self, slot_id: str, holder: str, until: datetime, now: datetime) -> bool:
        """Claim an open slot for ``holder`` until ``until``; False when another holds it or it is gone.

        A single conditional write: of any number of concurrent claims, exactly one wins.
        """
        ...

    async def release(self, slot_id: str, holder: str) -> bool:
        """Drop ``holder``'s hold (a failed or expired move); False if it holds nothing."""
        ...

    async def withdraw(self, slot_id: str) -> bool:
        """Withdraw one open slot (its time is no longer free); False if it was not open.

        A hold on it stays (that move is on its way to the robot); no new hold succeeds.
        """
        ...

    async def book(self, slot_id: str, holder: str) -> bool:
        """The move was applied: the slot is taken for good (kept only if ``holder`` holds it)."""
        ...
