"""The storage contract runs against MongoStore (real wire server) and its in-memory twin.

MongoStore twice: as it runs on the test server (SecantusDB, or ``MONGODB_URL``: on
MongoDB 8.0 and later a transaction's writes go out as one ``bulkWrite``), and forced
to one round trip per write (``mongo-split``), as on MongoDB 7.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.memory import MemoryStore
from bot.core.ports import Store
from bot.settings import Settings
from tests.conftest import open_mongo_store


@pytest.fixture(params=["memory", "mongo", "mongo-split"])
async def store(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    bulk_writes = False if request.param == "mongo-split" else None
    async with open_mongo_store(settings, bulk_writes=bulk_writes) as mongo:
        yield mongo
