"""What every Mongo repository shares: its collection, its session, sealing, a safe insert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError
from pymongo.results import UpdateResult

from bot.adapters.mongo.batch import WriteBatch
from bot.adapters.mongo.sealing import Sealer
from bot.core.errors import ConflictError

__all__ = ["CHUNK", "Doc", "Repository", "chunks"]


Doc = dict[str, Any]


class Repository:
    sealer: Sealer  # set by MongoStore: personal fields are sealed on the way in and out
    # Set by MongoStore on a transaction's repositories when the server has ``bulkWrite``:
    # the writes that can wait are queued on it and sent together (bot.adapters.mongo.batch).
    batch: WriteBatch | None = None
    batched: ClassVar[frozenset[str]] = frozenset()  # the methods that queue on it, sending nothing

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
        from a fresh read and finds what the other writer committed. On a batch, it
        surfaces when the batch is sent (before the transaction's next operation).
        """
        if self.batch is not None:
            self.batch.insert(self.collection, doc)
            return True
        try:
            await self.collection.insert_one(doc, session=self.session)
        except DuplicateKeyError:
            if self.session is not None and self.session.in_transaction:
                raise ConflictError(f"{self.collection.name}: written concurrently") from None
            return False
        return True

    async def _upsert(self, query: Doc, changes: Doc, on_insert: Doc) -> UpdateResult:
        """Update the document ``query`` finds, or insert it with ``on_insert`` as well."""
        try:
            return await self.collection.update_one(
                query,
                {"$set": changes, "$setOnInsert": on_insert},
                upsert=True,
                session=self.session,
            )
        except DuplicateKeyError:  # a concurrent upsert inserted it first
            return await self.collection.update_one(query, {"$set": changes}, session=self.session)

    async def _next_seq(self, name: str) -> int:
        """The next number of the ``name`` counter (1, 2, …): what orders a robot's feed."""
        counter = await self.collection.database["counters"].find_one_and_update(
            {"_id": name},
            {"$inc": {"seq": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=self.session,
        )
        assert counter is not None  # upsert with AFTER always returns the document
        return int(counter["seq"])


CHUNK = 1000  # ids per $in query: keeps each query small on any server


def chunks(ids: Sequence[str]) -> list[list[str]]:
    unique = list(dict.fromkeys(ids))
    return [unique[n : n + CHUNK] for n in range(0, len(unique), CHUNK)]
