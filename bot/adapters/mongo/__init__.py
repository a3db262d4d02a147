"""MongoDB adapters (PyMongo's async API) for the core's ports."""

from bot.adapters.mongo.client import create_mongo_client, ping
from bot.adapters.mongo.migrations import ensure_schema, schema_current
from bot.adapters.mongo.opening import OpenStore, connect_store, open_store
from bot.adapters.mongo.store import MongoStore

__all__ = [
    "MongoStore",
    "OpenStore",
    "connect_store",
    "create_mongo_client",
    "ensure_schema",
    "open_store",
    "ping",
    "schema_current",
]
