"""Conversations in MongoDB (``conversations``), saved by version check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime

from pymongo import ASCENDING
from pymongo.results import UpdateResult

from bot.adapters.codec import from_doc, to_doc
from bot.adapters.mongo.repository import Repository, chunks
from bot.core.errors import ConflictError
from bot.core.model import Conversation, ConversationStatus, erased

__all__ = ["MongoConversations"]


_FIELDS = tuple(f.name for f in fields(Conversation))
# What an erasure rewrites (the rest, like the appointments and times, stays for the reports).
_ERASED_FIELDS = ("phone", "data", "status", "timeout_at", "updated_at", "version")
# Turns saved between our read and write before the erasure gives up (each retry re-reads).
_ERASE_ATTEMPTS = 50


def _changed(before: Conversation, after: Conversation) -> set[str]:
    return {name for name in _FIELDS if getattr(before, name) != getattr(after, name)}


class MongoConversations(Repository):
    batched = frozenset({"save"})

    async def get(self, conversation_id: str) -> Conversation | None:
        doc = await self.collection.find_one({"_id": conversation_id}, session=self.session)
        return from_doc(Conversation, self._dec(doc)) if doc else None

    async def active_for_phone(self, phones: Sequence[str]) -> Conversation | None:
        sealed = self.sealer.phones(list(phones))
        for status in (ConversationStatus.ACTIVE, ConversationStatus.HANDED_OFF):
            doc = await self.collection.find_one(
                {"phone": {"$in": sealed}, "status": status.value},
                sort=[("created_at", -1)],
                session=self.session,
            )
            if doc:
                return from_doc(Conversation, self._dec(doc))
        return None

    async def latest_for_phone(self, phones: Sequence[str]) -> Conversation | None:
        doc = await self.collection.find_one(
            {"phone": {"$in": self.sealer.phones(list(phones))}},
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
        for chunk in chunks(appointment_ids):
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

    async def save(self, conversation: Conversation, before: Conversation | None = None) -> None:
        doc = to_doc(conversation)
        doc_id = doc.pop("_id")
        if before is not None and before.version == conversation.version - 1:
            # The version check below writes only over ``before`` as stored: the fields that
            # did not change are left alone, so the phone (and the data, when it stays) is
            # not sealed again on every turn.
            changed = _changed(before, conversation)
            doc = {key: value for key, value in doc.items() if key in changed}
        query = {"_id": doc_id, "version": conversation.version - 1}
        update = {"$set": self._enc(doc)}

        def check(result: UpdateResult) -> None:
            if result.matched_count == 0:
                raise ConflictError(
                    f"conversation {doc_id} changed since version {conversation.version - 1}"
                )

        if self.batch is not None:  # checked when the transaction's batch is sent
            self.batch.update(self.collection, query, update, check)
            return
        # find_one + conditional update_one, not findAndModify: see ARCHITECTURE "Known traps".
        check(await self.collection.update_one(query, update, session=self.session))

    async def erase(self, phones: Sequence[str], subject: str, at: datetime) -> int:
        # Each conversation read, erased and written back by version check, like a turn:
        # its data is sealed, so what it keeps (``erased``) is computed here, not by the
        # server. A turn that saved meanwhile fails ours: it is re-read and erased again;
        # a turn that read before fails its own check and does not write the data back.
        cursor = self.collection.find(
            {"phone": {"$in": self.sealer.phones(list(phones))}},
            {"_id": 1},
            session=self.session,
        )
        ids = [doc["_id"] async for doc in cursor]
        for conversation_id in ids:
            await self._erase_one(conversation_id, subject, at)
        return len(ids)

    async def _erase_one(self, conversation_id: str, subject: str, at: datetime) -> None:
        for _ in range(_ERASE_ATTEMPTS):
            current = await self.get(conversation_id)
            if current is None or current.phone == subject:
                return  # gone meanwhile (retention), or erased by a twin
            doc = self._enc(to_doc(erased(current, subject, at)))
            result = await self.collection.update_one(
                {"_id": conversation_id, "version": current.version},
                {"$set": {key: doc[key] for key in _ERASED_FIELDS}, "$unset": {"phone_enc": ""}},
                session=self.session,
            )
            if result.matched_count:
                return
        raise ConflictError(f"conversation {conversation_id}: changed on every attempt to erase it")
