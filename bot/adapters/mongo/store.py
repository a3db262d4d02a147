"""MongoStore: the core's repositories over PyMongo's async API, with transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from bot.adapters.codec import from_doc, to_doc
from bot.core.errors import ConflictError
from bot.core.model import Appointment, AppointmentStatus, Conversation, ConversationStatus
from bot.core.ports import (
    Cancellation,
    DeadLetter,
    InboundMessage,
    OutboxEntry,
    OutboxState,
    StatusEvent,
    UpsertOutcome,
)

__all__ = ["MongoStore"]

Doc = dict[str, Any]


class _Repository:
    def __init__(
        self, collection: AsyncCollection[Doc], session: AsyncClientSession | None
    ) -> None:
        self.collection = collection
        self.session = session

    async def _insert(self, doc: Doc) -> bool:
        """Insert; False if the unique key exists.

        Inside a transaction a duplicate key aborts the whole transaction (MongoDB
        aborts on any error), so it surfaces as ConflictError: the caller retries
        from a fresh read and finds what the other writer committed.
        """
        try:
            await self.collection.insert_one(doc, session=self.session)
        except DuplicateKeyError:
            if self.session is not None and self.session.in_transaction:
                raise ConflictError(f"{self.collection.name}: written concurrently") from None
            return False
        return True


class MongoAppointments(_Repository):
    async def upsert(self, appointment: Appointment) -> UpsertOutcome:
        doc = to_doc(appointment)
        doc_id = doc.pop("_id")
        doc.pop("reminder_due_at")  # the reminder service's, not the robot's
        try:
            result = await self.collection.update_one(
                {"external_id": appointment.external_id},
                {"$set": doc, "$setOnInsert": {"_id": doc_id}},
                upsert=True,
                session=self.session,
            )
        except DuplicateKeyError:  # a concurrent upsert inserted it first
            result = await self.collection.update_one(
                {"external_id": appointment.external_id}, {"$set": doc}, session=self.session
            )
        if result.upserted_id is not None:
            return UpsertOutcome.CREATED
        return UpsertOutcome.UPDATED if result.modified_count else UpsertOutcome.UNCHANGED

    async def get(self, appointment_id: str) -> Appointment | None:
        doc = await self.collection.find_one({"_id": appointment_id}, session=self.session)
        return from_doc(Appointment, doc) if doc else None

    async def get_by_external_id(self, external_id: str) -> Appointment | None:
        doc = await self.collection.find_one({"external_id": external_id}, session=self.session)
        return from_doc(Appointment, doc) if doc else None

    async def set_status(self, appointment_id: str, status: AppointmentStatus) -> None:
        await self.collection.update_one(
            {"_id": appointment_id}, {"$set": {"status": status.value}}, session=self.session
        )

    async def for_phone(self, phone: str) -> list[Appointment]:
        cursor = self.collection.find({"phone": phone}, session=self.session).sort("starts_at")
        return [from_doc(Appointment, doc) async for doc in cursor]

    async def set_reminder_due(self, appointment_id: str, due_at: datetime | None) -> None:
        change = (
            {"$set": {"reminder_due_at": due_at}} if due_at else {"$unset": {"reminder_due_at": ""}}
        )
        await self.collection.update_one({"_id": appointment_id}, change, session=self.session)

    async def reminders_due(self, now: datetime, limit: int) -> list[Appointment]:
        cursor = (
            self.collection.find({"reminder_due_at": {"$lte": now}}, session=self.session)
            .sort("reminder_due_at", ASCENDING)
            .limit(limit)
        )
        return [from_doc(Appointment, doc) async for doc in cursor]


class MongoConversations(_Repository):
    async def get(self, conversation_id: str) -> Conversation | None:
        doc = await self.collection.find_one({"_id": conversation_id}, session=self.session)
        return from_doc(Conversation, doc) if doc else None

    async def active_for_phone(self, phones: Sequence[str]) -> Conversation | None:
        doc = await self.collection.find_one(
            {"phone": {"$in": list(phones)}, "status": {"$ne": ConversationStatus.DONE.value}},
            sort=[("created_at", -1)],
            session=self.session,
        )
        return from_doc(Conversation, doc) if doc else None

    async def for_appointment(self, appointment_id: str) -> list[Conversation]:
        cursor = self.collection.find(
            {"appointment_ids": appointment_id}, session=self.session
        ).sort("created_at", -1)
        return [from_doc(Conversation, doc) async for doc in cursor]

    async def timed_out(self, now: datetime, limit: int) -> list[Conversation]:
        cursor = (
            self.collection.find(
                {"timeout_at": {"$lte": now}, "status": ConversationStatus.ACTIVE.value},
                session=self.session,
            )
            .sort("timeout_at", ASCENDING)
            .limit(limit)
        )
        return [from_doc(Conversation, doc) async for doc in cursor]

    async def create(self, conversation: Conversation) -> bool:
        return await self._insert(to_doc(conversation))

    async def save(self, conversation: Conversation) -> None:
        doc = to_doc(conversation)
        doc_id = doc.pop("_id")
        # find_one + conditional update_one, not findAndModify: see ARCHITECTURE "Known traps".
        result = await self.collection.update_one(
            {"_id": doc_id, "version": conversation.version - 1},
            {"$set": doc},
            session=self.session,
        )
        if result.matched_count == 0:
            raise ConflictError(
                f"conversation {doc_id} changed since version {conversation.version - 1}"
            )


class MongoInbound(_Repository):
    async def add(self, message: InboundMessage) -> bool:
        return await self._insert(to_doc(message, "sid"))

    async def mark_processed(self, sid: str, at: datetime) -> None:
        await self.collection.update_one(
            {"_id": sid}, {"$set": {"processed_at": at}}, session=self.session
        )

    async def unprocessed(self, older_than: datetime, limit: int) -> list[InboundMessage]:
        cursor = (
            self.collection.find(
                {"processed_at": None, "received_at": {"$lt": older_than}}, session=self.session
            )
            .sort("received_at", ASCENDING)
            .limit(limit)
        )
        return [from_doc(InboundMessage, doc, "sid") async for doc in cursor]

    async def unprocessed_for(self, phone: str) -> list[InboundMessage]:
        cursor = self.collection.find(
            {"phone": phone, "processed_at": None}, session=self.session
        ).sort([("received_at", ASCENDING), ("_id", ASCENDING)])
        return [from_doc(InboundMessage, doc, "sid") async for doc in cursor]


class MongoOutbox(_Repository):
    async def add(self, entry: OutboxEntry) -> bool:
        return await self._insert(to_doc(entry, "key"))

    async def get(self, key: str) -> OutboxEntry | None:
        doc = await self.collection.find_one({"_id": key}, session=self.session)
        return from_doc(OutboxEntry, doc, "key") if doc else None

    async def by_provider_sid(self, sid: str) -> OutboxEntry | None:
        doc = await self.collection.find_one({"provider_sid": sid}, session=self.session)
        return from_doc(OutboxEntry, doc, "key") if doc else None

    async def update(self, key: str, expected: OutboxState, **changes: Any) -> bool:
        current = await self.get(key)
        if current is None:
            return False
        patch = to_doc(replace(current, **changes), "key")
        patch = {field: patch[field] for field in changes}
        result = await self.collection.update_one(
            {"_id": key, "state": expected.value}, {"$set": patch}, session=self.session
        )
        return result.modified_count == 1

    async def due(self, now: datetime, limit: int) -> list[OutboxEntry]:
        query = {
            "state": OutboxState.PENDING.value,
            "$or": [{"next_attempt_at": None}, {"next_attempt_at": {"$lte": now}}],
        }
        cursor = self.collection.find(query, session=self.session).sort("created_at").limit(limit)
        return [from_doc(OutboxEntry, doc, "key") async for doc in cursor]

    async def in_state(self, state: OutboxState, limit: int) -> list[OutboxEntry]:
        cursor = (
            self.collection.find({"state": state.value}, session=self.session)
            .sort("created_at")
            .limit(limit)
        )
        return [from_doc(OutboxEntry, doc, "key") async for doc in cursor]


class MongoStatuses(_Repository):
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


class MongoCancellations(_Repository):
    async def add(self, cancellation: Cancellation) -> bool:
        # One per appointment (unique index); seq orders them for the robot's cursor.
        if await self.for_appointment(cancellation.appointment_id) is not None:
            return False  # checked first: a duplicate inside a transaction would abort it
        counter = await self.collection.database["counters"].find_one_and_update(
            {"_id": "cancellations"},
            {"$inc": {"seq": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=self.session,
        )
        assert counter is not None  # upsert with AFTER always returns the document
        doc = to_doc(replace(cancellation, seq=int(counter["seq"])))
        return await self._insert(doc)

    async def for_appointment(self, appointment_id: str) -> Cancellation | None:
        doc = await self.collection.find_one(
            {"appointment_id": appointment_id}, session=self.session
        )
        return from_doc(Cancellation, doc) if doc else None


class MongoFlowVersions(_Repository):
    async def save(self, name: str, version: str, source: str) -> None:
        await self.collection.update_one(
            {"_id": f"{name}@{version}"},
            {"$setOnInsert": {"name": name, "version": version, "source": source}},
            upsert=True,
            session=self.session,
        )

    async def source(self, name: str, version: str) -> str | None:
        doc = await self.collection.find_one({"_id": f"{name}@{version}"}, session=self.session)
        return str(doc["source"]) if doc else None


class MongoSuppressions(_Repository):
    """``_id`` is the E.164 number: suppressing twice is a duplicate key."""

    async def is_suppressed(self, *phones: str) -> bool:
        found = await self.collection.find_one(
            {"_id": {"$in": list(phones)}}, projection={"_id": 1}, session=self.session
        )
        return found is not None

    async def add(self, phone: str, reason: str, at: datetime) -> bool:
        result = await self.collection.update_one(
            {"_id": phone},
            {"$setOnInsert": {"reason": reason, "at": at}},
            upsert=True,
            session=self.session,
        )
        return result.upserted_id is not None

    async def remove(self, phone: str) -> bool:
        result = await self.collection.delete_one({"_id": phone}, session=self.session)
        return result.deleted_count == 1


class MongoDeadLetters(_Repository):
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


class MongoStore:
    """All repositories over one database; ``transaction()`` binds them to one session."""

    def __init__(self, db: AsyncDatabase[Doc], session: AsyncClientSession | None = None) -> None:
        self.db = db
        self.session = session
        self.appointments = MongoAppointments(db["appointments"], session)
        self.conversations = MongoConversations(db["conversations"], session)
        self.inbound = MongoInbound(db["inbound"], session)
        self.outbox = MongoOutbox(db["outbox"], session)
        self.statuses = MongoStatuses(db["status_events"], db["outbox"], session)
        self.cancellations = MongoCancellations(db["cancellations"], session)
        self.suppressions = MongoSuppressions(db["suppressions"], session)
        self.dead_letters = MongoDeadLetters(db["dead_letters"], session)
        self.flow_versions = MongoFlowVersions(db["flow_versions"], session)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MongoStore]:
        """Writes in the block commit together; a write conflict surfaces as ConflictError."""
        try:
            async with self.db.client.start_session() as session, await session.start_transaction():
                yield MongoStore(self.db, session)
        except PyMongoError as exc:
            if exc.has_error_label("TransientTransactionError"):
                raise ConflictError("a concurrent transaction touched the same documents") from exc
            raise
