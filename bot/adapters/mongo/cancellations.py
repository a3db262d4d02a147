"""Cancellations for the robot in MongoDB (``cancellations``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from bot.adapters.codec import from_doc, to_doc
from bot.adapters.mongo.repository import Repository, chunks
from bot.core.ports import (
    Cancellation,
)

__all__ = ["MongoCancellations"]


class MongoCancellations(Repository):
    async def add(self, cancellation: Cancellation) -> bool:
        # One per appointment (unique index); seq orders them for the robot's cursor.
        if await self.for_appointment(cancellation.appointment_id) is not None:
            return False  # checked first: a duplicate inside a transaction would abort it
        doc = to_doc(replace(cancellation, seq=await self._next_seq("cancellations")))
        return await self._insert(doc)

    async def for_appointment(self, appointment_id: str) -> Cancellation | None:
        doc = await self.collection.find_one(
            {"appointment_id": appointment_id}, session=self.session
        )
        return from_doc(Cancellation, doc) if doc else None

    async def get(self, cancellation_id: str) -> Cancellation | None:
        doc = await self.collection.find_one({"_id": cancellation_id}, session=self.session)
        return from_doc(Cancellation, doc) if doc else None

    async def pending_after(self, seq: int, limit: int) -> list[Cancellation]:
        cursor = (
            self.collection.find({"result": None, "seq": {"$gt": seq}}, session=self.session)
            .sort("seq", ASCENDING)
            .limit(limit)
        )
        return [from_doc(Cancellation, doc) async for doc in cursor]

    async def acknowledge(
        self, cancellation_id: str, result: str, detail: str, at: datetime
    ) -> Cancellation | None:
        # Conditional on no result yet: the first acknowledgement wins, a repeat changes nothing.
        await self.collection.update_one(
            {"_id": cancellation_id, "result": None},
            {"$set": {"result": result, "detail": detail, "acked_at": at}},
            session=self.session,
        )
        return await self.get(cancellation_id)

    async def failed(self, limit: int) -> list[Cancellation]:
        cursor = (
            self.collection.find({"result": "failed"}, session=self.session)
            .sort([("acked_at", DESCENDING), ("seq", DESCENDING)])
            .limit(limit)
        )
        return [from_doc(Cancellation, doc) async for doc in cursor]

    async def for_appointments(self, appointment_ids: Sequence[str]) -> list[Cancellation]:
        found: list[Cancellation] = []
        for chunk in chunks(appointment_ids):
            cursor = self.collection.find({"appointment_id": {"$in": chunk}}, session=self.session)
            found += [from_doc(Cancellation, doc) async for doc in cursor]
        return found
