"""The robot's API tokens, idempotency keys and long operations in MongoDB."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING

from bot.adapters.codec import from_doc, to_doc
from bot.adapters.mongo.repository import Doc, Repository
from bot.core.errors import ConflictError
from bot.core.ports import (
    ApiToken,
    IdempotencyRecord,
    Operation,
)

__all__ = ["MongoIdempotency", "MongoOperations", "MongoTokens"]


class MongoTokens(Repository):
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


class MongoIdempotency(Repository):
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


class MongoOperations(Repository):
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

    async def succeed(self, operation_id: str, at: datetime, result: dict[str, Any]) -> None:
        change: Doc = {"state": "succeeded", "result": result, "error": None, "updated_at": at}
        current = await self.collection.find_one(
            {"_id": operation_id}, projection={"total": 1}, session=self.session
        )
        if current is not None:
            change["done"] = current["total"]
        await self.collection.update_one(
            {"_id": operation_id}, {"$set": change}, session=self.session
        )

    async def fail(self, operation_id: str, at: datetime, error: str) -> None:
        change: Doc = {"state": "failed", "result": None, "error": error, "updated_at": at}
        await self.collection.update_one(
            {"_id": operation_id}, {"$set": change}, session=self.session
        )
