"""Read-only views over MongoDB for the staff console and the simulator page.

Lists a person looks at (a day's appointments, the hand-off queue, one
patient's exchange); nothing here writes, except the simulator's per-phone
reset counter.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Protocol

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from bot.adapters.codec import from_doc
from bot.adapters.simulator import COLLECTION as SIMULATOR_MESSAGES
from bot.core.console import Line, UnknownSender
from bot.core.model import Appointment, Conversation, ConversationStatus, MessageKind
from bot.core.phones import variants
from bot.core.ports import Cancellation, Reschedule, RescheduleState

__all__ = ["ConsoleReads", "DocumentCodec", "Line"]

Doc = dict[str, Any]


class DocumentCodec(Protocol):
    """How personal fields are stored (``bot.adapters.mongo.sealing.Sealer`` fits)."""

    def phones(self, phones: tuple[str, ...] | list[str]) -> list[str]:
        """The stored forms of these numbers (what a query must match)."""
        ...

    def decode(self, collection: str, doc: Doc) -> Doc:
        """The document as the domain sees it."""
        ...


class _Plain:
    """Documents stored as the domain writes them."""

    def phones(self, phones: tuple[str, ...] | list[str]) -> list[str]:
        return list(phones)

    def decode(self, collection: str, doc: Doc) -> Doc:
        return doc


class ConsoleReads:
    def __init__(self, db: AsyncDatabase[Doc], codec: DocumentCodec | None = None) -> None:
        self.db = db
        self.codec: DocumentCodec = codec or _Plain()

    def _in(self, phones: Sequence[str]) -> dict[str, list[str]]:
        return {"$in": self.codec.phones(list(phones))}

    def _appointment(self, doc: Doc) -> Appointment:
        return from_doc(Appointment, self.codec.decode("appointments", doc))

    def _conversation(self, doc: Doc) -> Conversation:
        return from_doc(Conversation, self.codec.decode("conversations", doc))

    async def appointments_between(self, start: datetime, end: datetime) -> list[Appointment]:
        cursor = self.db["appointments"].find({"starts_at": {"$gte": start, "$lt": end}})
        found = [self._appointment(doc) async for doc in cursor.sort("starts_at", ASCENDING)]
        return sorted(found, key=lambda a: (a.unit, a.starts_at))

    async def upcoming(self, since: datetime, limit: int = 60) -> list[Appointment]:
        cursor = self.db["appointments"].find({"starts_at": {"$gte": since}})
        cursor = cursor.sort("starts_at", ASCENDING).limit(limit)
        return [self._appointment(doc) async for doc in cursor]

    async def count_appointments(self) -> int:
        return int(await self.db["appointments"].count_documents({}, limit=1))

    async def handed_off(self, limit: int = 100) -> list[Conversation]:
        cursor = self.db["conversations"].find({"status": ConversationStatus.HANDED_OFF.value})
        cursor = cursor.sort("updated_at", DESCENDING).limit(limit)
        return [self._conversation(doc) async for doc in cursor]

    async def unknown_senders(self, limit: int = 100) -> list[UnknownSender]:
        cursor = self.db["inbound"].find({"user_id": {"$nin": [None, ""]}})
        found = []
        async for stored in cursor.sort("received_at", DESCENDING).limit(limit):
            doc = self.codec.decode("inbound", stored)
            found.append(
                UnknownSender(doc["_id"], doc["received_at"], doc["user_id"], doc.get("body", ""))
            )
        return found

    async def latest_for_phone(self, phones: Sequence[str]) -> Conversation | None:
        cursor = self.db["conversations"].find({"phone": self._in(phones)})
        async for doc in cursor.sort("created_at", DESCENDING).limit(1):
            return self._conversation(doc)
        return None

    async def last_inbound_at(self, phones: Sequence[str]) -> datetime | None:
        cursor = self.db["inbound"].find({"phone": self._in(phones)})
        async for doc in cursor.sort("received_at", DESCENDING).limit(1):
            at: datetime = doc["received_at"]
            return at
        return None

    async def exchange(self, conversation: Conversation) -> list[Line]:
        """What the patient wrote and what we sent, since the conversation began."""
        lines = await self._inbound(variants(conversation.phone), conversation.created_at)
        cursor = self.db["outbox"].find({"conversation_id": conversation.id})
        async for stored in cursor:
            doc = self.codec.decode("outbox", stored)
            lines.append(
                Line(
                    id=doc["_id"],
                    at=doc["created_at"],
                    side="staff" if doc.get("kind") == "staff" else "bot",
                    text=doc.get("text", ""),
                    buttons=tuple(tuple(b) for b in doc.get("buttons") or ()),
                    template=bool(doc.get("content_sid")),
                    state=doc.get("state", ""),
                )
            )
        return sorted(lines, key=lambda line: line.at)

    async def failed_cancellations(self, limit: int = 100) -> list[Cancellation]:
        cursor = self.db["cancellations"].find({"result": "failed"})
        cursor = cursor.sort("acked_at", DESCENDING).limit(limit)
        return [from_doc(Cancellation, doc) async for doc in cursor]

    async def moves(
        self, states: Collection[RescheduleState], limit: int = 100
    ) -> list[Reschedule]:
        # A handful at a time (held until the robot acks, failed until a person acts).
        query = {"state": {"$in": [state.value for state in states]}}
        cursor = self.db["reschedules"].find(query).sort("seq", DESCENDING).limit(limit)
        return [from_doc(Reschedule, doc) async for doc in cursor]

    # --- the simulator --------------------------------------------------------------

    async def simulator_lines(self, phones: Sequence[str], since: datetime) -> list[Line]:
        """The patient's messages and what the simulator channel delivered to them."""
        lines = await self._inbound(phones, since)
        cursor = self.db[SIMULATOR_MESSAGES].find(
            {"to": {"$in": list(phones)}, "created_at": {"$gte": since}}
        )
        kinds = await self._kinds([doc async for doc in cursor])
        for doc, kind in kinds:
            lines.append(
                Line(
                    id=doc["_id"],
                    at=doc["created_at"],
                    side="staff" if kind == MessageKind.STAFF else "bot",
                    text=doc.get("text", ""),
                    buttons=tuple(tuple(b) for b in doc.get("buttons") or ()),
                    template=bool(doc.get("content_sid")),
                )
            )
        return sorted(lines, key=lambda line: line.at)

    async def simulator_session(self, phone: str) -> tuple[int, datetime | None]:
        """(reset counter, when the chat was last reset) for one simulated phone."""
        doc = await self.db["simulator_sessions"].find_one({"_id": phone})
        return (0, None) if doc is None else (int(doc["generation"]), doc["since"])

    async def reset_simulator(self, phones: Sequence[str], now: datetime) -> int:
        """Start a fresh chat: clear what was delivered and bump the counter; return it."""
        await self.db[SIMULATOR_MESSAGES].delete_many({"to": {"$in": list(phones)}})
        doc = await self.db["simulator_sessions"].find_one_and_update(
            {"_id": phones[0]},
            {"$inc": {"generation": 1}, "$set": {"since": now}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None
        return int(doc["generation"])

    async def forget_cancellation(self, appointment_id: str) -> None:
        """A demo appointment made new again: drop its cancellation unless the robot took it."""
        await self.db["cancellations"].delete_one(
            {"appointment_id": appointment_id, "acked_at": None}
        )

    async def _inbound(self, phones: Sequence[str], since: datetime) -> list[Line]:
        cursor = self.db["inbound"].find(
            {"phone": self._in(phones), "received_at": {"$gte": since}}
        )
        lines = []
        async for stored in cursor:
            doc = self.codec.decode("inbound", stored)
            lines.append(
                Line(id=doc["_id"], at=doc["received_at"], side="patient", text=doc.get("body", ""))
            )
        return lines

    async def _kinds(self, docs: list[Doc]) -> list[tuple[Doc, str]]:
        keys = [doc.get("key") for doc in docs]
        cursor = self.db["outbox"].find({"_id": {"$in": keys}}, {"kind": 1})
        kinds = {doc["_id"]: doc.get("kind", "") async for doc in cursor}
        return [(doc, kinds.get(doc.get("key"), "")) for doc in docs]
