"""The robot's open slots in MongoDB (``slots``); a hold is one conditional update."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from bot.adapters.codec import from_doc, to_doc
from bot.adapters.mongo.repository import Repository
from bot.core.model import FREED_PREFIX, SlotQuery
from bot.core.ports import Slot, SlotState, UpsertOutcome

__all__ = ["OFFER_ORDER", "MongoSlots", "offer_index", "offer_query"]

# The robot owns these; state and the hold are ours.
_PUSHED = ("external_id", "unit", "doctor", "specialty", "starts_at", "duration_minutes", "day")


def _free(now: datetime) -> dict[str, Any]:
    """Not held (no ``held_until``), or held by a hold that has ended.

    One condition on one field rather than an ``$or`` over two.
    """
    return {"held_until": {"$not": {"$gt": now}}}


OFFER_ORDER = [("starts_at", ASCENDING), ("external_id", ASCENDING)]


def offer_query(wanted: SlotQuery, now: datetime) -> dict[str, Any]:
    """What an offer reads (the ``offer`` / ``offer_doctor`` indexes, in ``OFFER_ORDER``)."""
    query: dict[str, Any] = {
        "unit": wanted.unit,
        "specialty": wanted.specialty,
        "state": SlotState.OPEN.value,
        "starts_at": {"$gte": wanted.earliest},
        **_free(now),
    }
    if wanted.doctor is not None:
        query["doctor"] = wanted.doctor
    return query


def offer_index(doctor: str | None) -> str:
    """The index an offer reads, named outright: the embedded server's planner falls back
    to a collection scan when a predicate (the hold) is on a field outside the index."""
    return "offer" if doctor is None else "offer_doctor"


class MongoSlots(Repository):
    async def upsert(self, slot: Slot) -> UpsertOutcome:
        doc = to_doc(slot)
        pushed = {key: doc[key] for key in (*_PUSHED, "visit_type")}
        current = await self.get_by_external_id(slot.external_id)
        if current is not None and current.state is not SlotState.WITHDRAWN:
            stored = to_doc(current)
            if all(stored[key] == value for key, value in pushed.items()):
                return UpsertOutcome.UNCHANGED
        on_insert = {"_id": doc["_id"], "held_by": None, "held_until": None}
        result = await self._upsert(
            {"external_id": slot.external_id},
            pushed,
            {**on_insert, "state": SlotState.OPEN.value},
        )
        if result.upserted_id is not None:
            return UpsertOutcome.CREATED
        # Pushed again: free in the legacy system, so open (unless a move already booked it).
        await self.collection.update_one(
            {"external_id": slot.external_id, "state": SlotState.WITHDRAWN.value},
            {"$set": {"state": SlotState.OPEN.value}},
            session=self.session,
        )
        return UpsertOutcome.UPDATED

    async def get(self, slot_id: str) -> Slot | None:
        doc = await self.collection.find_one({"_id": slot_id}, session=self.session)
        return from_doc(Slot, doc) if doc else None

    async def get_by_external_id(self, external_id: str) -> Slot | None:
        doc = await self.collection.find_one({"external_id": external_id}, session=self.session)
        return from_doc(Slot, doc) if doc else None

    async def withdraw_missing(self, unit: str, day: str, keep: Collection[str]) -> int:
        result = await self.collection.update_many(
            {
                "unit": unit,
                "day": day,
                "state": SlotState.OPEN.value,
                # A time a cancellation freed is the waitlist's: the robot never lists it.
                "external_id": {"$nin": list(keep), "$not": re.compile(f"^{FREED_PREFIX}")},
            },
            {"$set": {"state": SlotState.WITHDRAWN.value}},
            session=self.session,
        )
        return result.modified_count

    async def open_from(self, query: SlotQuery, now: datetime, limit: int) -> list[Slot]:
        cursor = (
            self.collection.find(offer_query(query, now), session=self.session)
            .sort(OFFER_ORDER)
            .hint(offer_index(query.doctor))
            .limit(limit)
        )
        return [from_doc(Slot, doc) async for doc in cursor]

    async def hold(self, slot_id: str, holder: str, until: datetime, now: datetime) -> bool:
        result = await self.collection.update_one(
            {"_id": slot_id, "state": SlotState.OPEN.value, **_free(now)},
            {"$set": {"held_by": holder, "held_until": until}},
            session=self.session,
        )
        return result.modified_count == 1

    async def release(self, slot_id: str, holder: str) -> bool:
        result = await self.collection.update_one(
            {"_id": slot_id, "held_by": holder},
            {"$set": {"held_by": None, "held_until": None}},
            session=self.session,
        )
        return result.modified_count == 1

    async def withdraw(self, slot_id: str) -> bool:
        result = await self.collection.update_one(
            {"_id": slot_id, "state": SlotState.OPEN.value},
            {"$set": {"state": SlotState.WITHDRAWN.value}},
            session=self.session,
        )
        return result.modified_count == 1

    async def book(self, slot_id: str, holder: str) -> bool:
        result = await self.collection.update_one(
            {"_id": slot_id, "held_by": holder},
            {"$set": {"state": SlotState.BOOKED.value}},
            session=self.session,
        )
        return result.modified_count == 1
