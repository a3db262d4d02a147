"""The waitlist in MongoDB: ``waitlist`` (entries), ``waitlist_openings``, ``waitlist_offers``.

Every change that two schedulers could race on is one conditional write
(an opening's state and batch count, an offer's open state); uniqueness is the
``_id`` (an entry per appointment, an opening per cancelled appointment, an
offer per opening and entry).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from bot.adapters.codec import from_doc, to_doc
from bot.adapters.mongo.repository import Doc, Repository
from bot.core.errors import ConflictError
from bot.core.model import CandidateQuery
from bot.core.ports import (
    OfferState,
    Opening,
    OpeningState,
    WaitlistEntry,
    WaitlistOffer,
)

__all__ = ["MongoWaitlist"]

_OPEN = OfferState.OPEN.value


class MongoWaitlist(Repository):
    """Entries in this repository's collection; openings and offers in two beside it."""

    @property
    def _openings(self) -> Any:
        return self.collection.database["waitlist_openings"]

    @property
    def _offers(self) -> Any:
        return self.collection.database["waitlist_offers"]

    async def _insert_into(self, collection: Any, doc: Doc) -> bool:
        # Checked first: a duplicate key inside a transaction would abort all of it.
        if await collection.find_one({"_id": doc["_id"]}, {"_id": 1}, session=self.session):
            return False
        try:
            await collection.insert_one(doc, session=self.session)
        except DuplicateKeyError:
            self._conflict()
            return False
        return True

    def _conflict(self) -> None:
        if self.session is not None and self.session.in_transaction:
            raise ConflictError(f"{self.collection.name}: written concurrently") from None

    # --- entries ----------------------------------------------------------------------
    async def join(self, entry: WaitlistEntry) -> bool:
        current = await self.collection.find_one({"_id": entry.id}, session=self.session)
        if current is not None and current.get("active"):
            return False
        doc = {**to_doc(entry), "active": True}
        if current is not None:  # joining again: who was offered lately still waits a turn
            doc["last_offered_at"] = current.get("last_offered_at")
        try:
            await self.collection.replace_one(
                {"_id": entry.id}, doc, upsert=True, session=self.session
            )
        except DuplicateKeyError:  # a concurrent join inserted it first
            self._conflict()
            return False
        return True

    async def entry(self, appointment_id: str) -> WaitlistEntry | None:
        doc = await self.collection.find_one({"_id": appointment_id}, session=self.session)
        return from_doc(WaitlistEntry, doc) if doc else None

    async def move_entry(self, appointment_id: str, starts_at: datetime) -> bool:
        result = await self.collection.update_one(
            {"_id": appointment_id}, {"$set": {"starts_at": starts_at}}, session=self.session
        )
        return result.matched_count == 1

    async def leave(self, appointment_id: str) -> bool:
        result = await self.collection.update_one(
            {"_id": appointment_id, "active": True},
            {"$set": {"active": False}},
            session=self.session,
        )
        return result.modified_count == 1

    async def candidates(self, query: CandidateQuery, limit: int) -> list[WaitlistEntry]:
        find: dict[str, Any] = {
            "active": True,
            "unit": query.unit,
            "specialty": query.specialty,
            "starts_at": {"$gt": query.earlier_than},
        }
        if query.doctor is not None:
            find["doctor"] = query.doctor
        if query.exclude:
            find["_id"] = {"$nin": sorted(query.exclude)}
        # Never offered (null sorts first), then least lately, then longest waiting.
        order = [("last_offered_at", ASCENDING), ("joined_at", ASCENDING), ("_id", ASCENDING)]
        cursor = self.collection.find(find, session=self.session).sort(order).limit(limit)
        return [from_doc(WaitlistEntry, doc) async for doc in cursor]

    async def mark_offered(self, entry_id: str, at: datetime) -> None:
        await self.collection.update_one(
            {"_id": entry_id}, {"$set": {"last_offered_at": at}}, session=self.session
        )

    # --- openings ---------------------------------------------------------------------
    async def add_opening(self, opening: Opening) -> bool:
        return await self._insert_into(self._openings, to_doc(opening))

    async def get_opening(self, opening_id: str) -> Opening | None:
        doc = await self._openings.find_one({"_id": opening_id}, session=self.session)
        return from_doc(Opening, doc) if doc else None

    async def openings(self, state: OpeningState, limit: int) -> list[Opening]:
        cursor = (
            self._openings.find({"state": state.value}, session=self.session)
            .sort([("cancelled_at", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [from_doc(Opening, doc) async for doc in cursor]

    async def replace_opening(self, opening: Opening, *, state: OpeningState, batches: int) -> bool:
        result = await self._openings.replace_one(
            {"_id": opening.id, "state": state.value, "batches": batches},
            to_doc(opening),
            session=self.session,
        )
        return bool(result.modified_count == 1)

    async def filled_between(self, start: datetime, end: datetime) -> list[Opening]:
        cursor = self._openings.find(
            {"state": OpeningState.FILLED.value, "settled_at": {"$gte": start, "$lt": end}},
            session=self.session,
        ).sort([("settled_at", ASCENDING), ("_id", ASCENDING)])
        return [from_doc(Opening, doc) async for doc in cursor]

    # --- offers -----------------------------------------------------------------------
    async def add_offer(self, offer: WaitlistOffer) -> bool:
        return await self._insert_into(self._offers, to_doc(offer))

    async def get_offer(self, offer_id: str) -> WaitlistOffer | None:
        doc = await self._offers.find_one({"_id": offer_id}, session=self.session)
        return from_doc(WaitlistOffer, doc) if doc else None

    async def offers_for(self, opening_id: str) -> list[WaitlistOffer]:
        cursor = self._offers.find({"opening_id": opening_id}, session=self.session).sort(
            [("offered_at", ASCENDING), ("_id", ASCENDING)]
        )
        return [from_doc(WaitlistOffer, doc) async for doc in cursor]

    async def settle_offer(self, offer_id: str, state: OfferState, at: datetime) -> bool:
        result = await self._offers.update_one(
            {"_id": offer_id, "state": _OPEN},
            {"$set": {"state": state.value, "settled_at": at}},
            session=self.session,
        )
        return bool(result.modified_count == 1)

    async def open_offers_since(self, before: datetime, limit: int) -> list[WaitlistOffer]:
        cursor = (
            self._offers.find(
                {"state": _OPEN, "offered_at": {"$lte": before}}, session=self.session
            )
            .sort([("offered_at", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [from_doc(WaitlistOffer, doc) async for doc in cursor]

    async def recent_offers(self, limit: int) -> list[WaitlistOffer]:
        cursor = (
            self._offers.find({}, session=self.session)
            .sort([("offered_at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [from_doc(WaitlistOffer, doc) async for doc in cursor]
