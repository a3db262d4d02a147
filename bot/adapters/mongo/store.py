"""MongoStore: the core's repositories over PyMongo's async API, with transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from bot.adapters.mongo.api import MongoIdempotency, MongoOperations, MongoTokens
from bot.adapters.mongo.appointments import MongoAppointments
from bot.adapters.mongo.cancellations import MongoCancellations
from bot.adapters.mongo.conversations import MongoConversations
from bot.adapters.mongo.flows import MongoFlowVersions
from bot.adapters.mongo.inbound import MongoInbound
from bot.adapters.mongo.outbox import MongoDeadLetters, MongoOutbox, MongoStatuses
from bot.adapters.mongo.repository import Doc, Repository
from bot.adapters.mongo.reschedules import MongoReschedules
from bot.adapters.mongo.sealing import Sealer
from bot.adapters.mongo.slots import MongoSlots
from bot.adapters.mongo.suppressions import MongoSuppressions
from bot.core.errors import ConflictError

__all__ = ["MongoStore"]


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
        self.slots = MongoSlots(db["slots"], session)
        self.reschedules = MongoReschedules(db["reschedules"], session)
        for repository in vars(self).values():
            if isinstance(repository, Repository):
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
