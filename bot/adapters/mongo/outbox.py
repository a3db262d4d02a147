"""The outbox in MongoDB (``outbox``), its status events and its dead letters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Unpack

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from bot.adapters.codec import from_doc, to_doc
from bot.adapters.mongo.repository import Doc, Repository, chunks
from bot.core.model import OutboxChanges
from bot.core.ports import (
    DeadLetter,
    OutboxEntry,
    OutboxState,
    StatusEvent,
)

__all__ = ["MongoDeadLetters", "MongoOutbox", "MongoStatuses"]


class MongoOutbox(Repository):
    batched = frozenset({"add"})

    async def add(self, entry: OutboxEntry) -> bool:
        return await self._insert(self._enc(to_doc(entry, "key")))

    async def get(self, key: str) -> OutboxEntry | None:
        doc = await self.collection.find_one({"_id": key}, session=self.session)
        return from_doc(OutboxEntry, self._dec(doc), "key") if doc else None

    async def by_provider_sid(self, sid: str) -> OutboxEntry | None:
        doc = await self.collection.find_one({"provider_sid": sid}, session=self.session)
        return from_doc(OutboxEntry, self._dec(doc), "key") if doc else None

    async def update(
        self, key: str, expected: OutboxState, **changes: Unpack[OutboxChanges]
    ) -> bool:
        unknown = set(changes) - set(OutboxEntry.__dataclass_fields__) | ({"key"} & set(changes))
        if unknown:
            raise TypeError(f"not an outbox field to change: {sorted(unknown)}")
        # One round trip: the changed fields alone, sealed where they are personal.
        patch = self._enc(dict(changes))
        result = await self.collection.update_one(
            {"_id": key, "state": expected.value}, {"$set": patch}, session=self.session
        )
        return result.modified_count == 1

    async def due(self, now: datetime, handed_before: datetime, limit: int) -> list[OutboxEntry]:
        # Two bounded index ranges, not one $or: behind a long queue the second is small,
        # where "every pending entry" would be the whole backlog, read every second. The
        # second also returns entries postponed past now (dropped below): only while the
        # circuit is open are there many, and nothing is sent then anyway.
        pending = OutboxState.PENDING.value
        postponed = {"state": pending, "next_attempt_at": {"$lte": now}}  # state_due
        old = {"state": pending, "created_at": {"$lte": handed_before}}  # state_created
        found: dict[str, OutboxEntry] = {}
        for query in (postponed, old):
            cursor = self.collection.find(query, session=self.session).sort("created_at")
            async for doc in cursor.limit(limit):
                entry = from_doc(OutboxEntry, self._dec(doc), "key")
                if entry.next_attempt_at is None or entry.next_attempt_at <= now:
                    found[entry.key] = entry
        return sorted(found.values(), key=lambda e: e.created_at)[:limit]

    async def in_state(self, state: OutboxState, limit: int) -> list[OutboxEntry]:
        cursor = (
            self.collection.find({"state": state.value}, session=self.session)
            .sort("created_at")
            .limit(limit)
        )
        return [from_doc(OutboxEntry, self._dec(doc), "key") async for doc in cursor]

    async def for_conversation(self, conversation_id: str) -> list[OutboxEntry]:
        cursor = self.collection.find(
            {"conversation_id": conversation_id}, session=self.session
        ).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [from_doc(OutboxEntry, self._dec(doc), "key") async for doc in cursor]

    async def for_conversations(self, conversation_ids: Sequence[str]) -> list[OutboxEntry]:
        # Without texts and variables: the reports never read them (and never decrypt them).
        found: list[OutboxEntry] = []
        for chunk in chunks(conversation_ids):
            cursor = self.collection.find(
                {"conversation_id": {"$in": chunk}},
                projection={"text": 0, "variables": 0},
                session=self.session,
            )
            found += [
                from_doc(OutboxEntry, self._dec({**doc, "text": ""}), "key") async for doc in cursor
            ]
        return sorted(found, key=lambda e: (e.created_at, e.key))

    async def sent_with_buttons(
        self, phones: Sequence[str], since: datetime, until: datetime
    ) -> list[OutboxEntry]:
        # One patient's few messages (index phone_created); buttons and sid are checked here.
        cursor = self.collection.find(
            {
                "phone": {"$in": self.sealer.phones(list(phones))},
                "created_at": {"$gte": since, "$lte": until},
            },
            session=self.session,
        ).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        found = [from_doc(OutboxEntry, self._dec(doc), "key") async for doc in cursor]
        return [e for e in found if e.provider_sid and e.buttons]


class MongoStatuses(Repository):
    def __init__(
        self,
        collection: AsyncCollection[Doc],
        outbox: AsyncCollection[Doc],
        session: AsyncClientSession | None,
    ) -> None:
        super().__init__(collection, session)
        self.outbox = outbox

    async def append(self, event: StatusEvent) -> bool:
        doc = to_doc(event, "sid")
        doc["sid"] = doc["_id"]
        doc["_id"] = f"{event.sid}:{event.status}"
        return await self._insert(doc)

    async def project(self, event: StatusEvent, rank: int) -> bool:
        target = {"_id": event.key} if event.key else {"provider_sid": event.sid}
        result = await self.outbox.update_one(
            {**target, "delivery_rank": {"$lt": rank}},
            {
                "$set": {
                    "delivery_status": event.status,
                    "delivery_rank": rank,
                    "delivery_error_code": event.error_code,
                }
            },
            session=self.session,
        )
        return result.modified_count == 1


class MongoDeadLetters(Repository):
    async def add(self, letter: DeadLetter) -> bool:
        return await self._insert(to_doc(letter, "key"))

    async def get(self, key: str) -> DeadLetter | None:
        doc = await self.collection.find_one({"_id": key}, session=self.session)
        return from_doc(DeadLetter, doc, "key") if doc else None

    async def newest(self, limit: int) -> list[DeadLetter]:
        cursor = (
            self.collection.find({}, session=self.session)
            .sort([("at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [from_doc(DeadLetter, doc, "key") async for doc in cursor]

    async def remove(self, key: str) -> bool:
        result = await self.collection.delete_one({"_id": key}, session=self.session)
        return result.deleted_count == 1
