"""Patients' moves for the robot in MongoDB (``reschedules``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from pymongo import ASCENDING

from bot.adapters.codec import from_doc, to_doc
from bot.adapters.mongo.repository import Repository
from bot.core.ports import Reschedule, RescheduleState

__all__ = ["MongoReschedules"]

_HELD = RescheduleState.HELD.value


class MongoReschedules(Repository):
    async def add(self, reschedule: Reschedule) -> Reschedule:
        # seq orders the moves for the robot's cursor (unique index), like cancellations.
        stored = replace(reschedule, seq=await self._next_seq("reschedules"))
        await self._insert(to_doc(stored))
        return stored

    async def get(self, reschedule_id: str) -> Reschedule | None:
        doc = await self.collection.find_one({"_id": reschedule_id}, session=self.session)
        return from_doc(Reschedule, doc) if doc else None

    async def pending_after(self, seq: int, now: datetime, limit: int) -> list[Reschedule]:
        cursor = (
            self.collection.find(
                {"state": _HELD, "seq": {"$gt": seq}, "hold_until": {"$gt": now}},
                session=self.session,
            )
            .sort("seq", ASCENDING)
            .limit(limit)
        )
        return [from_doc(Reschedule, doc) async for doc in cursor]

    async def settle(
        self, reschedule_id: str, state: RescheduleState, detail: str, at: datetime
    ) -> bool:
        # Conditional on still held and in time: the first of an ack and the expiry wins.
        result = await self.collection.update_one(
            {"_id": reschedule_id, "state": _HELD, "hold_until": {"$gt": at}},
            {"$set": {"state": state.value, "detail": detail, "acked_at": at}},
            session=self.session,
        )
        return result.modified_count == 1

    async def expire(self, reschedule_id: str, at: datetime) -> bool:
        result = await self.collection.update_one(
            {"_id": reschedule_id, "state": _HELD, "hold_until": {"$lte": at}},
            {"$set": {"state": RescheduleState.EXPIRED.value, "acked_at": at}},
            session=self.session,
        )
        return result.modified_count == 1

    async def ended_holds(self, now: datetime, limit: int) -> list[Reschedule]:
        cursor = (
            self.collection.find(
                {"state": _HELD, "hold_until": {"$lte": now}}, session=self.session
            )
            .sort("hold_until", ASCENDING)
            .limit(limit)
        )
        return [from_doc(Reschedule, doc) async for doc in cursor]

    async def for_appointments(self, appointment_ids: Sequence[str]) -> list[Reschedule]:
        cursor = self.collection.find(
            {"appointment_id": {"$in": list(appointment_ids)}}, session=self.session
        ).sort("seq", ASCENDING)
        return [from_doc(Reschedule, doc) async for doc in cursor]
