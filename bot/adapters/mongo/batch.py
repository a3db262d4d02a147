"""A transaction's writes in one round trip: MongoDB 8.0's client-level ``bulkWrite``.

A conversation turn writes three documents in its transaction (the conversation's
conditional update, the outbox entry, the message's ``processed_at``), each its
own round trip before the commit. On a server that has the ``bulkWrite``
command (wire version 25, MongoDB 8.0) the transaction's repositories queue
those writes here instead, and the batch goes out as one command, in the order
they were made, before the transaction's next other operation (so a read in the
transaction still sees every write made before it) and before its commit.

What each write's caller relied on is checked from the command's per-operation
results (``verboseResults``), the way the separate writes were checked:

- an update's ``check`` reads its result (the conversation's version check
  raises ConflictError when it matched nothing);
- an insert refused as a duplicate key (11000, reported per operation in the
  results cursor) is a ConflictError, as a duplicate insert inside a
  transaction always was (:meth:`Repository._insert`);
- a write conflict with another transaction comes back as a top-level error
  labelled ``TransientTransactionError`` inside PyMongo's
  ``ClientBulkWriteException`` (its ``error``): a ConflictError too.

A check that raises, or any error, ends the transaction before its commit, so
nothing the batch wrote is kept. Against MongoDB 7 (wire version 21) PyMongo
refuses ``bulk_write``; :class:`MongoStore` queues nothing there.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import ClientBulkWriteException, PyMongoError
from pymongo.operations import InsertOne, UpdateOne
from pymongo.results import UpdateResult

from bot.core.errors import ConflictError

__all__ = ["BULK_WRITE_WIRE_VERSION", "WriteBatch", "flushing"]

Doc = dict[str, Any]
# The wire version of MongoDB 8.0, the first with the ``bulkWrite`` command (PyMongo
# refuses ``AsyncMongoClient.bulk_write`` below it).
BULK_WRITE_WIRE_VERSION = 25
_DUPLICATE_KEY = 11000

Check = Callable[[UpdateResult], None]


class WriteBatch:
    """Writes queued inside one transaction, sent as one ``bulkWrite`` by :meth:`flush`."""

    def __init__(self, client: AsyncMongoClient[Doc], session: AsyncClientSession) -> None:
        self._client = client
        self._session = session
        self._models: list[InsertOne[Doc] | UpdateOne] = []
        self._checks: dict[int, Check] = {}  # by position: what reads an update's result
        self._inserts: dict[int, str] = {}  # by position: the collection an insert is into

    @property
    def pending(self) -> bool:
        return bool(self._models)

    def insert(self, collection: AsyncCollection[Doc], doc: Doc) -> None:
        """Queue an insert; a duplicate key makes :meth:`flush` raise ConflictError."""
        self._inserts[len(self._models)] = collection.name
        self._models.append(InsertOne(doc, namespace=collection.full_name))

    def update(
        self,
        collection: AsyncCollection[Doc],
        query: Doc,
        update: Doc,
        check: Check | None = None,
    ) -> None:
        """Queue an update of the one document ``query`` finds; ``check`` reads its result."""
        if check is not None:
            self._checks[len(self._models)] = check
        self._models.append(UpdateOne(query, update, namespace=collection.full_name))

    async def flush(self) -> None:
        """Send what is queued as one command, in order; raise what the separate writes would."""
        if not self._models:
            return
        models, checks, inserts = self._models, self._checks, self._inserts
        self._models, self._checks, self._inserts = [], {}, {}
        try:
            result = await self._client.bulk_write(
                models, session=self._session, verbose_results=bool(checks)
            )
        except ClientBulkWriteException as exc:
            raise _as_conflict(exc, inserts) from exc
        for index, check in checks.items():
            check(result.update_results[index])


def _as_conflict(exc: ClientBulkWriteException, inserts: dict[int, str]) -> Exception:
    """ConflictError for a write conflict or a duplicate insert; else the exception itself."""
    top = exc.error
    if isinstance(top, PyMongoError) and top.has_error_label("TransientTransactionError"):
        return ConflictError("a concurrent transaction touched the same documents")
    errors: list[Doc] = exc.details.get("writeErrors") or []  # the cursor's documents, as sent
    for error in errors:
        collection = inserts.get(error["idx"])
        if collection is not None and error.get("code") == _DUPLICATE_KEY:
            return ConflictError(f"{collection}: written concurrently")
    return exc


_FLUSHING: dict[type[Any], type[Any]] = {}


def flushing(cls: type[Any]) -> type[Any]:
    """``cls`` whose every public coroutine method sends the bound batch first, except
    those named in its ``batched`` (they queue their writes on it): a read (or another
    write) in the transaction then sees every write queued before it, exactly as when
    each write was its own round trip. Made once per class."""
    made = _FLUSHING.get(cls)
    if made is None:
        overrides = {
            name: _after_flush(method)
            for name, method in inspect.getmembers(cls, inspect.iscoroutinefunction)
            if not name.startswith("_") and name not in cls.batched
        }
        made = _FLUSHING[cls] = type(cls.__name__, (cls,), overrides)
    return made


def _after_flush(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        batch: WriteBatch | None = self.batch
        if batch is not None and batch.pending:
            await batch.flush()
        return await method(self, *args, **kwargs)

    return run
