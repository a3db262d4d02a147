"""MongoStore: the core's repositories over PyMongo's async API, with transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from bot.adapters.codec import from_doc, to_doc
from bot.core.errors import ConflictError
from bot.core.model import Appointment, AppointmentStatus, Conversation, ConversationStatus
from bot.core.ports import InboundMessage, OutboxEntry, OutboxState, UpsertOutcome

__all__ = ["MongoStore"]

Doc = dict[str, Any]


class _Repository:
    def __init__(
        self, collection: AsyncCollection[Doc], session: AsyncClientSession | None
    ) -> None:
        self.collection = collection
        self.session = session


class MongoAppointments(_Repository):
    async def upsert(self, appointment: Appointment) -> UpsertOutcome:
        doc = to_doc(appointment)
        doc_id = doc.pop("_id")
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


class MongoConversations(_Repository):
    async def get(self, conversation_id: str) -> Conversation | None:
        doc = await self.collection.find_one({"_id": conversation_id}, session=self.session)
        return from_doc(Conversation, doc) if doc else None

    async def active_for_phone(self, phone: str) -> Conversation | None:
        doc = await self.collection.find_one(
            {"phone": phone, "status": {"$ne": ConversationStatus.DONE.value}},
            sort=[("created_at", -1)],
            session=self.session,
        )
        return from_doc(Conversation, doc) if doc else None

    async def create(self, conversation: Conversation) -> bool:
        try:
            await self.collection.insert_one(to_doc(conversation), session=self.session)
        except DuplicateKeyError:
            return False
        return True

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
        try:
            await self.collection.insert_one(to_doc(message, "sid"), session=self.session)
        except DuplicateKeyError:
            return False
        return True

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


class MongoOutbox(_Repository):
    async def add(self, entry: OutboxEntry) -> bool:
        try:
            await self.collection.insert_one(to_doc(entry, "key"), session=self.session)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, key: str) -> OutboxEntry | None:
        doc = await self.collection.find_one({"_id": key}, session=self.session)
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


class MongoStore:
    """All repositories over one database; ``transaction()`` binds them to one session."""

    def __init__(self, db: AsyncDatabase[Doc], session: AsyncClientSession | None = None) -> None:
        self.db = db
        self.session = session
        self.appointments = MongoAppointments(db["appointments"], session)
        self.conversations = MongoConversations(db["conversations"], session)
        self.inbound = MongoInbound(db["inbound"], session)
        self.outbox = MongoOutbox(db["outbox"], session)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MongoStore]:
        async with self.db.client.start_session() as session, await session.start_transaction():
            yield MongoStore(self.db, session)
