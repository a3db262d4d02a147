"""Patients' messages in MongoDB (``inbound``, unique MessageSid)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from bot.adapters.codec import from_doc, to_doc
from bot.adapters.mongo.repository import Doc, Repository
from bot.core.ports import (
    InboundMessage,
)

__all__ = ["MongoInbound"]

_CURSOR = "inbound_reconciled"  # in ``meta``: the newest provider time reconciled


class MongoInbound(Repository):
    batched = frozenset({"mark_processed"})

    async def add(self, message: InboundMessage) -> bool:
        return await self._insert(self._enc(to_doc(message, "sid")))

    async def mark_processed(self, sid: str, at: datetime) -> None:
        query, update = {"_id": sid}, {"$set": {"processed_at": at}}
        if self.batch is not None:
            self.batch.update(self.collection, query, update)
            return
        await self.collection.update_one(query, update, session=self.session)

    async def unprocessed(self, older_than: datetime, limit: int) -> list[InboundMessage]:
        cursor = (
            self.collection.find(
                {"processed_at": None, "received_at": {"$lt": older_than}}, session=self.session
            )
            .sort("received_at", ASCENDING)
            .limit(limit)
        )
        return [from_doc(InboundMessage, self._dec(doc), "sid") async for doc in cursor]

    async def reconciled_until(self) -> datetime | None:
        doc = await self._meta.find_one({"_id": _CURSOR}, session=self.session)
        return doc["until"] if doc else None

    async def mark_reconciled(self, until: datetime) -> None:
        await self._meta.update_one(
            {"_id": _CURSOR}, {"$max": {"until": until}}, upsert=True, session=self.session
        )

    @property
    def _meta(self) -> AsyncCollection[Doc]:
        return self.collection.database["meta"]

    async def unprocessed_for(self, phone: str) -> list[InboundMessage]:
        cursor = self.collection.find(
            {"phone": {"$in": self.sealer.phones([phone])}, "processed_at": None},
            session=self.session,
        ).sort([("received_at", ASCENDING), ("_id", ASCENDING)])
        return [from_doc(InboundMessage, self._dec(doc), "sid") async for doc in cursor]

    async def last_received_at(self, *phones: str) -> datetime | None:
        doc = await self.collection.find_one(
            {"phone": {"$in": self.sealer.phones(list(phones))}},
            projection={"received_at": 1},
            sort=[("received_at", DESCENDING)],
            session=self.session,
        )
        return None if doc is None else doc["received_at"]
