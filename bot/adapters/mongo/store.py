"""MongoStore: the core's repositories over PyMongo's async API, with transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

from pymongo import WriteConcern
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from bot.adapters.mongo.api import MongoIdempotency, MongoOperations, MongoTokens
from bot.adapters.mongo.appointments import MongoAppointments
from bot.adapters.mongo.batch import BULK_WRITE_WIRE_VERSION, WriteBatch, flushing
from bot.adapters.mongo.cancellations import MongoCancellations
from bot.adapters.mongo.conversations import MongoConversations
from bot.adapters.mongo.flows import MongoFlowVersions
from bot.adapters.mongo.inbound import MongoInbound
from bot.adapters.mongo.outbox import MongoDeadLetters, MongoOutbox, MongoStatuses
from bot.adapters.mongo.pauses import MongoSenderPauses
from bot.adapters.mongo.repository import Doc, Repository
from bot.adapters.mongo.reschedules import MongoReschedules
from bot.adapters.mongo.sealing import Sealer
from bot.adapters.mongo.slots import MongoSlots
from bot.adapters.mongo.suppressions import MongoSuppressions
from bot.adapters.mongo.waitlist import MongoWaitlist
from bot.core.errors import ConflictError

__all__ = ["MongoStore", "journaled"]


def journaled(concern: WriteConcern) -> WriteConcern:
    """``concern`` (the URL's, e.g. ``w=majority``) with ``j: true``: acknowledged once on disk."""
    return WriteConcern(**{**concern.document, "j": True})


_T = TypeVar("_T", "MongoStore", Repository)


def _twin(obj: _T, session: AsyncClientSession, kind: type | None = None) -> _T:
    """A shallow copy of ``obj`` on ``session`` (``copy.copy`` costs several times more),
    as an instance of ``kind`` (a subclass of its own) if given."""
    twin: _T = object.__new__(kind or type(obj))
    twin.__dict__.update(vars(obj))
    twin.session = session
    return twin


class MongoStore:
    """All repositories over one database; ``transaction()`` binds them to one session.

    Writes that an external effect follows are journaled before they are
    acknowledged: a conversation step's transaction with its outbox entries (the
    reply is queued once it commits), the outbox's "sending" mark and sent sid
    (a Twilio call follows or preceded them), and the inbound message (Twilio gets
    its 200 and never sends it again). A crash after the acknowledgement loses
    none of them, so nothing is sent twice and no answer is lost.

    ``bulk_writes``: whether a transaction sends its conversation save, outbox
    entries and processed marks as one ``bulkWrite`` (:mod:`bot.adapters.mongo.batch`).
    None (the default) decides per transaction from the primary's wire version
    (MongoDB 8.0 and later); False forces one round trip per write, as MongoDB 7 needs.
    """

    def __init__(
        self,
        db: AsyncDatabase[Doc],
        sealer: Sealer,
        session: AsyncClientSession | None = None,
        *,
        bulk_writes: bool | None = None,
    ) -> None:
        self.db = db
        self.sealer = sealer
        self.session = session
        self.bulk_writes = bulk_writes
        self.durable = journaled(db.write_concern)
        durable = db.with_options(write_concern=self.durable)
        self.appointments = MongoAppointments(db["appointments"], session)
        self.conversations = MongoConversations(durable["conversations"], session)
        self.inbound = MongoInbound(durable["inbound"], session)
        self.outbox = MongoOutbox(durable["outbox"], session)
        self.statuses = MongoStatuses(db["status_events"], durable["outbox"], session)
        self.cancellations = MongoCancellations(db["cancellations"], session)
        self.suppressions = MongoSuppressions(db["suppressions"], session)
        self.dead_letters = MongoDeadLetters(db["dead_letters"], session)
        self.flow_versions = MongoFlowVersions(db["flow_versions"], session)
        self.tokens = MongoTokens(db["api_tokens"], session)
        self.idempotency = MongoIdempotency(db["idempotency_keys"], session)
        self.operations = MongoOperations(db["operations"], session)
        self.sender_pauses = MongoSenderPauses(db["sender_pauses"], session)
        self.slots = MongoSlots(db["slots"], session)
        self.reschedules = MongoReschedules(db["reschedules"], session)
        self.waitlist = MongoWaitlist(db["waitlist"], session)
        for repository in vars(self).values():
            if isinstance(repository, Repository):
                repository.sealer = sealer

    def _on(self, session: AsyncClientSession, batch: WriteBatch | None) -> MongoStore:
        """This store with every repository bound to ``session``: copies sharing the
        collection objects, which cost twice as much to build anew for each transaction.
        With ``batch``, copies that queue their batched writes on it and send it first
        before anything else."""
        bound = _twin(self, session)
        for name, repository in vars(self).items():
            if isinstance(repository, Repository):
                kind = flushing(type(repository)) if batch is not None else None
                twin = _twin(repository, session, kind)
                twin.batch = batch
                setattr(bound, name, twin)
        return bound

    def _bulk_writes(self) -> bool:
        """Forced, or whether the writable server known now has ``bulkWrite``. Before the
        client has found one (no operation yet): no, this time."""
        if self.bulk_writes is not None:
            return self.bulk_writes
        servers = self.db.client.topology_description.server_descriptions().values()
        writable = [server for server in servers if server.is_writable]
        return bool(writable) and all(
            server.max_wire_version >= BULK_WRITE_WIRE_VERSION for server in writable
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MongoStore]:
        """Writes in the block commit together; a write conflict surfaces as ConflictError."""
        try:
            async with (
                self.db.client.start_session() as session,
                await session.start_transaction(write_concern=self.durable),
            ):
                batch = WriteBatch(self.db.client, session) if self._bulk_writes() else None
                yield self._on(session, batch)
                if batch is not None:
                    await batch.flush()  # before the commit: its checks may still abort it
        except PyMongoError as exc:
            if exc.has_error_label("TransientTransactionError"):
                raise ConflictError("a concurrent transaction touched the same documents") from exc
            raise
