"""What a task needs (storage, settings), opened once per worker process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient

from bot.adapters.mongo import MongoStore, create_mongo_client, ensure_schema
from bot.core.ports import Store
from bot.settings import Settings

__all__ = ["WorkerContext", "open_context"]


@dataclass(frozen=True)
class WorkerContext:
    settings: Settings
    store: Store
    mongo: AsyncMongoClient[dict[str, Any]]


@asynccontextmanager
async def open_context(settings: Settings) -> AsyncIterator[WorkerContext]:
    """Connect to MongoDB (in the running loop) and make sure the schema exists."""
    assert settings.mongodb_url is not None
    mongo = create_mongo_client(settings.mongodb_url)
    try:
        db = mongo[settings.mongodb_db]
        await ensure_schema(db)
        yield WorkerContext(settings=settings, store=MongoStore(db), mongo=mongo)
    finally:
        await mongo.close()
