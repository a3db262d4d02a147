"""The storage contract runs against MongoStore (real wire server) and its in-memory twin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.memory import MemoryStore
from bot.core.ports import Store
from bot.settings import Settings
from tests.conftest import open_mongo_store


@pytest.fixture(params=["memory", "mongo"])
async def store(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    async with open_mongo_store(settings) as mongo:
        yield mongo
