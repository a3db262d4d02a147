"""MongoStore: the core's repositories over PyMongo's async API, with transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from bot.adapters.codec import from_doc, to_doc
from bot.adapters.mongo.sealing import Sealer
from bot.core.errors import ConflictError
from bot.core.model import Appointment, AppointmentStatus, Conversation, ConversationStatus
from bot.core.ports import (
    ApiToken,
    Cancellation,
    DeadLetter,
    IdempotencyRecord,
    InboundMessage,
    Operation,
    OutboxEntry,
    OutboxState,
    StatusEvent,
    UpsertOutcome,
)

__all__ = ["MongoStore"]

Doc = dict[str, Any]


class _Repository:
    sealer: Sealer  # set by MongoStore: personal fields are sealed on the way in and out

    def __init__(
        self, collection: AsyncCollection[Doc], session: AsyncClientSession | None
    ) -> None:
        self.collection = collection
        self.session = session

    def _enc(self, doc: Doc) -> Doc:
        return self.sealer.encode(self.collection.name, doc)

    def _dec(self, doc: Doc) -> Doc:
        return self.sealer.decode(self.collection.name, doc)

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
    async def upsert(
        self, appointment: Appointment, *, keep_status: frozenset[AppointmentStatus] = frozenset()
    ) -> UpsertOutcome:
        # Compared decoded: sealed values differ on every write (a fresh nonce each time).
        current = await self.get_by_external_id(appointment.external_id)
        kept = current is not None and current.status in keep_status
        if current is not None and current == replace(
            appointment,
            id=current.id,
            reminder_due_at=current.reminder_due_at,
            status=current.status if kept else appointment.status,
        ):
            return UpsertOutcome.UNCHANGED
        doc = self._enc(to_doc(appointment))
        doc_id = doc.pop("_id")
        doc.pop("reminder_due_at")  # the reminder service's, not the robot's
        # With keep_status the status goes in its own write, conditional on the stored one,
        # so a patient's answer landing between the read above and this write survives.
        status = doc.pop("status") if keep_status else None
        on_insert = {"_id": doc_id} if status is None else {"_id": doc_id, "status": status}
        try:
            result = await self.collection.update_one(
                {"external_id": appointment.external_id},
                {"$set": doc, "$setOnInsert": on_insert},
                upsert=True,
                session=self.session,
            )
        except DuplicateKeyError:  # a concurrent upsert inserted it first
            result = await self.collection.update_one(
                {"external_id": appointment.external_id}, {"$set": doc}, session=self.session
            )
        if result.upserted_id is not None:
            return UpsertOutcome.CREATED
        changed = result.modified_count
        if status is not None:
            unless = [value.value for value in keep_status] + [status]
            changed += (
                await self.collection.update_one(
                    {"external_id": appointment.external_id, "status": {"$nin": unless}},
                    {"$set": {"status": status}},
                    session=self.session,
                )
            ).modified_count
        return UpsertOutcome.UPDATED if changed else UpsertOutcome.UNCHANGED

    async def get(self, appointment_id: str) -> Appointment | None:
        doc = await self.collection.find_one({"_id": appointment_id}, session=self.session)
        return from_doc(Appointment, self._dec(doc)) if doc else None

    async def get_by_external_id(self, external_id: str) -> Appointment | None:
        doc = await self.collection.find_one({"external_id": external_id}, session=self.session)
        return from_doc(Appointment, self._dec(doc)) if doc else None

    async def set_status(self, appointment_id: str, status: AppointmentStatus) -> None:
        await self.collection.update_one(
            {"_id": appointment_id}, {"$set": {"status": status.value}}, session=self.session
        )

    async def for_phone(self, phone: str) -> list[Appointment]:
        cursor = self.collection.find(
            {"phone": {"$in": self.sealer.phones([phone])}}, session=self.session
        ).sort("starts_at")
        return [from_doc(Appointment, self._dec(doc)) async for doc in cursor]

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
        return [from_doc(Appointment, self._dec(doc)) async for doc in cursor]

    def _window(self, start: datetime, end: datetime, unit: str | None) -> Doc:
        query: Doc = {"starts_at": {"$gte": start, "$lt": end}}
        if unit is not None:
            query["unit"] = unit
        return query

    async def between(
        self, start: datetime, end: datetime, unit: str | None = None
    ) -> list[Appointment]:
        cursor = self.collection.find(self._window(start, end, unit), session=self.session)
        return [from_doc(Appointment, self._dec(doc)) async for doc in cursor.sort("starts_at")]

    async def status_times(
        self, start: datetime, end: datetime, unit: str | None = None
    ) -> list[tuple[datetime, AppointmentStatus]]:
        cursor = self.collection.find(
            self._window(start, end, unit),
            projection={"_id": 0, "starts_at": 1, "status": 1},
            session=self.session,
        )
        return [(doc["starts_at"], AppointmentStatus(doc["status"])) async for doc in cursor]


class MongoConversations(_Repository):
    async def get(self, conversation_id: str) -> Conversation | None:
        doc = await self.collection.find_one({"_id": conversation_id}, session=self.session)
        return from_doc(Conversation, self._dec(doc)) if doc else None

    async def active_for_phone(self, phones: Sequence[str]) -> Conversation | None:
        doc = await self.collection.find_one(
            {
                "phone": {"$in": self.sealer.phones(list(phones))},
                "status": {"$ne": ConversationStatus.DONE.value},
            },
            sort=[("created_at", -1)],
            session=self.session,
        )
        return from_doc(Conversation, self._dec(doc)) if doc else None

    async def for_appointment(self, appointment_id: str) -> list[Conversation]:
        cursor = self.collection.find(
            {"appointment_ids": appointment_id}, session=self.session
        ).sort("created_at", -1)
        return [from_doc(Conversation, self._dec(doc)) async for doc in cursor]

    async def for_appointments(self, appointment_ids: Sequence[str]) -> list[Conversation]:
        found: dict[str, Conversation] = {}
        for chunk in _chunks(appointment_ids):
            cursor = self.collection.find({"appointment_ids": {"$in": chunk}}, session=self.session)
            async for doc in cursor:
                found.setdefault(doc["_id"], from_doc(Conversation, self._dec(doc)))
        return list(found.values())

    async def timed_out(self, now: datetime, limit: int) -> list[Conversation]:
        cursor = (
            self.collection.find(
                {"timeout_at": {"$lte": now}, "status": ConversationStatus.ACTIVE.value},
                session=self.session,
            )
            .sort("timeout_at", ASCENDING)
            .limit(limit)
        )
        return [from_doc(Conversation, self._dec(doc)) async for doc in cursor]

    async def create(self, conversation: Conversation) -> bool:
        return await self._insert(self._enc(to_doc(conversation)))

    async def save(self, conversation: Conversation) -> None:
        doc = self._enc(to_doc(conversation))
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
        return await self._insert(self._enc(to_doc(message, "sid")))

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
        return [from_doc(InboundMessage, self._dec(doc), "sid") async for doc in cursor]

    async def unprocessed_for(self, phone: str) -> list[InboundMessage]:
        cursor = self.collection.find(
            {"phone": {"$in": self.sealer.phones([phone])}, "processed_at": None},
            session=self.session,
        ).sort([("received_at", ASCENDING), ("_id", ASCENDING)])
        return [from_doc(InboundMessage, self._dec(doc), "sid") async for doc in cursor]


class MongoOutbox(_Repository):
    async def add(self, entry: OutboxEntry) -> bool:
        return await self._insert(self._enc(to_doc(entry, "key")))

    async def get(self, key: str) -> OutboxEntry | None:
        doc = await self.collection.find_one({"_id": key}, session=self.session)
        return from_doc(OutboxEntry, self._dec(doc), "key") if doc else None

    async def by_provider_sid(self, sid: str) -> OutboxEntry | None:
        doc = await self.collection.find_one({"provider_sid": sid}, session=self.session)
        return from_doc(OutboxEntry, self._dec(doc), "key") if doc else None

    async def update(self, key: str, expected: OutboxState, **changes: Any) -> bool:
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
        for chunk in _chunks(conversation_ids):
            cursor = self.collection.find(
                {"conversation_id": {"$in": chunk}},
                projection={"text": 0, "variables": 0},
                session=self.session,
            )
            found += [
                from_doc(OutboxEntry, self._dec({**doc, "text": ""}), "key") async for doc in cursor
            ]
        return sorted(found, key=lambda e: (e.created_at, e.key))


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
        for chunk in _chunks(appointment_ids):
            cursor = self.collection.find({"appointment_id": {"$in": chunk}}, session=self.session)
            found += [from_doc(Cancellation, doc) async for doc in cursor]
        return found


class MongoTokens(_Repository):
    """``_id`` is the token's name; ``token_hash`` is unique (the lookup on every request)."""

    async def add(self, token: ApiToken) -> bool:
        doc = to_doc(token, "name")
        replaced = await self.collection.replace_one(
            {"_id": token.name, "revoked_at": {"$ne": None}}, doc, session=self.session
        )
        if replaced.matched_count:
            return True
        return await self._insert(doc)

    async def by_hash(self, token_hash: str) -> ApiToken | None:
        doc = await self.collection.find_one({"token_hash": token_hash}, session=self.session)
        return from_doc(ApiToken, doc, "name") if doc else None

    async def all(self) -> list[ApiToken]:
        cursor = self.collection.find({}, session=self.session).sort("_id", ASCENDING)
        return [from_doc(ApiToken, doc, "name") async for doc in cursor]

    async def touch(self, name: str, at: datetime, every: timedelta) -> None:
        await self.collection.update_one(
            {
                "_id": name,
                "$or": [{"last_used_at": None}, {"last_used_at": {"$lte": at - every}}],
            },
            {"$set": {"last_used_at": at}},
            session=self.session,
        )

    async def revoke(self, name: str, at: datetime) -> bool:
        result = await self.collection.update_one(
            {"_id": name, "revoked_at": None}, {"$set": {"revoked_at": at}}, session=self.session
        )
        return result.modified_count == 1


class MongoIdempotency(_Repository):
    """``_id`` is the scoped key: two requests claiming it race on the primary key."""

    async def claim(
        self, key: str, fingerprint: str, at: datetime, stale_after: timedelta
    ) -> IdempotencyRecord | None:
        fresh = {"fingerprint": fingerprint, "created_at": at, "status": None, "body": None}
        for _attempt in range(3):
            if await self._insert({"_id": key, **fresh}):
                return None
            taken = await self.collection.update_one(
                {"_id": key, "status": None, "created_at": {"$lte": at - stale_after}},
                {"$set": fresh},
                session=self.session,
            )
            if taken.modified_count:
                return None  # its first claimant died: take it over
            doc = await self.collection.find_one({"_id": key}, session=self.session)
            if doc is not None:
                return from_doc(IdempotencyRecord, doc, "key")
            # released in between: try to claim it again
        raise ConflictError("idempotency key: claimed and released repeatedly; retry")

    async def complete(self, key: str, status: int, body: str) -> None:
        await self.collection.update_one(
            {"_id": key}, {"$set": {"status": status, "body": body}}, session=self.session
        )

    async def release(self, key: str) -> None:
        await self.collection.delete_one({"_id": key, "status": None}, session=self.session)


class MongoOperations(_Repository):
    async def create(self, operation: Operation) -> None:
        await self.collection.insert_one(to_doc(operation), session=self.session)

    async def get(self, operation_id: str) -> Operation | None:
        doc = await self.collection.find_one({"_id": operation_id}, session=self.session)
        return from_doc(Operation, doc) if doc else None

    async def progress(self, operation_id: str, done: int, at: datetime) -> None:
        await self.collection.update_one(
            {"_id": operation_id},
            {"$set": {"done": done, "updated_at": at}},
            session=self.session,
        )

    async def finish(
        self,
        operation_id: str,
        at: datetime,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        change: Doc = {
            "state": "failed" if error else "succeeded",
            "result": result,
            "error": error,
            "updated_at": at,
        }
        if not error:
            current = await self.collection.find_one(
                {"_id": operation_id}, projection={"total": 1}, session=self.session
            )
            if current is not None:
                change["done"] = current["total"]
        await self.collection.update_one(
            {"_id": operation_id}, {"$set": change}, session=self.session
        )


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
    """``_id`` is the number's blind index: suppressing twice changes nothing."""

    async def is_suppressed(self, *phones: str) -> bool:
        found = await self.collection.find_one(
            {"_id": {"$in": self.sealer.phones(list(phones))}},
            projection={"_id": 1},
            session=self.session,
        )
        return found is not None

    async def add(self, phone: str, reason: str, at: datetime) -> bool:
        result = await self.collection.update_one(
            {"_id": {"$in": self.sealer.phones([phone])}},
            {
                "$setOnInsert": {
                    "_id": self.sealer.cipher.index(phone),
                    "phone_enc": self.sealer.cipher.seal("phone", phone),
                    "reason": reason,
                    "at": at,
                }
            },
            upsert=True,
            session=self.session,
        )
        return result.upserted_id is not None

    async def remove(self, phone: str) -> bool:
        result = await self.collection.delete_many(
            {"_id": {"$in": self.sealer.phones([phone])}}, session=self.session
        )
        return result.deleted_count >= 1


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


_CHUNK = 1000  # ids per $in query: keeps each query small on any server


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    unique = list(dict.fromkeys(ids))
    return [unique[n : n + _CHUNK] for n in range(0, len(unique), _CHUNK)]


class MongoStore:
    """All repositories over one database; ``transaction()`` binds them to one session."""

    def __init__(
        self, db: AsyncDatabase[Doc], sealer: Sealer, session: AsyncClientSession | None = None
    ) -> None:
        self.db = db
        self.sealer = sealer
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
        self.tokens = MongoTokens(db["api_tokens"], session)
        self.idempotency = MongoIdempotency(db["idempotency_keys"], session)
        self.operations = MongoOperations(db["operations"], session)
        for repository in vars(self).values():
            if isinstance(repository, _Repository):
                repository.sealer = sealer

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MongoStore]:
        """Writes in the block commit together; a write conflict surfaces as ConflictError."""
        try:
            async with self.db.client.start_session() as session, await session.start_transaction():
                yield MongoStore(self.db, self.sealer, session)
        except PyMongoError as exc:
            if exc.has_error_label("TransientTransactionError"):
                raise ConflictError("a concurrent transaction touched the same documents") from exc
            raise
