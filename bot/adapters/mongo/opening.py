"""Opening the store the same way in every composition root and CLI command.

Client (timezone-aware, tuned for the embedded server), database, field sealer
and schema: :func:`open_store` owns the client's lifetime, :func:`connect_store`
builds the same objects without any I/O for a root that manages it itself
(the web app creates its schema in the background, MongoDB may come up later).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bot.adapters.crypto import create_cipher
from bot.adapters.mongo.client import create_mongo_client
from bot.adapters.mongo.migrations import ensure_schema
from bot.adapters.mongo.sealing import Sealer
from bot.adapters.mongo.store import MongoStore
from bot.core.errors import ConfigError
from bot.settings import Settings

__all__ = ["OpenStore", "connect_store", "open_store"]


@dataclass(frozen=True, slots=True)
class OpenStore:
    """A connected store and what it is made of (maintenance commands need the parts)."""

    client: AsyncMongoClient[dict[str, Any]]
    db: AsyncDatabase[dict[str, Any]]
    sealer: Sealer
    store: MongoStore


def connect_store(
    settings: Settings,
    client: AsyncMongoClient[dict[str, Any]] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    bulk_writes: bool | None = None,
) -> OpenStore:
    """The store for ``settings`` over ``client`` (a new one if None); nothing is sent yet.

    ``environ`` replaces the process environment where the data keys are read
    (a benchmark or test names its keys). ``bulk_writes``: see :class:`MongoStore`
    (None: by the server's version). Bound to the running event loop: call it
    inside the loop that uses it.
    """
    if client is None:
        if settings.mongodb_url is None:
            raise ConfigError("MONGODB_URL is not set (digitaly run starts an embedded server)")
        client = create_mongo_client(settings.mongodb_url)
    db = client[settings.mongodb_db]
    sealer = Sealer(create_cipher(settings.data_dir, environ))
    return OpenStore(client, db, sealer, MongoStore(db, sealer, bulk_writes=bulk_writes))


@asynccontextmanager
async def open_store(settings: Settings, *, schema: bool = True) -> AsyncIterator[OpenStore]:
    """Connect, make sure the schema exists (unless ``schema`` is False), close on exit."""
    opened = connect_store(settings)
    try:
        if schema:
            await ensure_schema(opened.db)
        yield opened
    finally:
        await opened.client.close()
