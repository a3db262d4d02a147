"""Collections and indexes, created idempotently at start.

Uniqueness is what makes at-least-once delivery safe: every dedupe rule lives
here as a unique index, never as a read-then-write check.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

__all__ = ["SCHEMA_VERSION", "ensure_schema"]

SCHEMA_VERSION = 1

INDEXES: dict[str, list[IndexModel]] = {
    "appointments": [
        IndexModel([("external_id", ASCENDING)], unique=True, name="external_id_unique"),
        IndexModel([("phone", ASCENDING), ("starts_at", ASCENDING)], name="phone_starts_at"),
        IndexModel([("starts_at", ASCENDING)], name="starts_at"),
    ],
    "conversations": [
        IndexModel([("phone", ASCENDING), ("status", ASCENDING)], name="phone_status"),
        IndexModel([("timeout_at", ASCENDING)], name="timeout_at", sparse=True),
    ],
    "inbound": [
        # _id is the MessageSid: a replayed webhook is a duplicate key.
        IndexModel([("processed_at", ASCENDING), ("received_at", ASCENDING)], name="unprocessed"),
        IndexModel([("phone", ASCENDING), ("received_at", ASCENDING)], name="phone_received"),
    ],
    "outbox": [
        # _id is the effect's key: the same effect recorded twice is stored once.
        IndexModel([("state", ASCENDING), ("next_attempt_at", ASCENDING)], name="state_due"),
        IndexModel([("provider_sid", ASCENDING)], name="provider_sid", sparse=True),
    ],
}


async def ensure_schema(db: AsyncDatabase[dict[str, Any]]) -> int:
    """Create collections and indexes (idempotent); record and return the schema version."""
    for name, indexes in INDEXES.items():
        # create_indexes creates the collection too, and tolerates a concurrent twin.
        await db[name].create_indexes(indexes)
    await db["meta"].update_one(
        {"_id": "schema"},
        {"$max": {"version": SCHEMA_VERSION}, "$set": {"checked_at": datetime.now(UTC)}},
        upsert=True,
    )
    return SCHEMA_VERSION
