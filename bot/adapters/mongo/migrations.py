"""Schema migrations: an ordered list, applied at start under a lock, each exactly once.

Whichever process starts first takes the lock (a lease document in ``meta``),
applies what the ``migrations`` collection does not list yet, records each one
as it completes, and lets go; the others wait for it, then find nothing to do.
Migrations are written to be safe if re-run (a process may die between a
migration's work and its record), but are recorded once and never re-run after.

Changing an index is a migration, never an edit of the definition alone
(MongoDB refuses to re-create an index under the same name with other options,
and a start that retried that would never end). In ``schema.INDEXES`` change
the definition, then append::

    Migration(2, "outbox.provider_sid unique", replace_index("outbox", "provider_sid"))
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from bot.adapters.mongo.schema import INDEXES
from bot.clock import utcnow
from bot.core.errors import BotError

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "MigrationError",
    "applied",
    "ensure_schema",
    "migrate",
    "pending",
    "replace_index",
    "schema_current",
]

log = logging.getLogger(__name__)

Db = AsyncDatabase[dict[str, Any]]

_LOCK = "migration_lock"
_LEASE = timedelta(minutes=10)  # longer than any migration; a dead holder's lock expires
_WAIT_SECONDS = 900.0
_POLL_SECONDS = 0.5


class MigrationError(BotError):
    code = "migration"


@dataclass(frozen=True, slots=True)
class Migration:
    number: int
    name: str
    apply: Callable[[Db], Awaitable[None]]


async def _collections_and_indexes(db: Db) -> None:
    for name, indexes in INDEXES.items():
        # create_indexes creates the collection too, and tolerates a concurrent twin.
        await db[name].create_indexes(indexes)


def replace_index(collection: str, name: str) -> Callable[[Db], Awaitable[None]]:
    """A migration step: drop index ``name`` and build it again from ``INDEXES``."""
    [model] = [m for m in INDEXES[collection] if m.document["name"] == name]

    async def apply(db: Db) -> None:
        if name in await db[collection].index_information():
            await db[collection].drop_index(name)
        await db[collection].create_indexes([model])

    return apply


# Append only; never renumber or edit one that has shipped.
MIGRATIONS: tuple[Migration, ...] = (
    # A database made before migrations existed (meta.schema version 1) has exactly
    # these indexes: re-creating identical ones is a no-op, so this records it.
    Migration(1, "collections and indexes", _collections_and_indexes),
    # The waitlist's three collections (issue 19): a database made before them gets them here.
    Migration(2, "waitlist collections", _collections_and_indexes),
)

SCHEMA_VERSION = MIGRATIONS[-1].number


async def ensure_schema(db: Db) -> int:
    """Apply pending migrations (under the lock, each once); return the schema version."""
    await migrate(db)
    return SCHEMA_VERSION


async def schema_current(db: Db) -> bool:
    """Whether every migration this code knows is recorded (readiness asks this)."""
    return not await pending(db)


async def applied(db: Db) -> dict[int, dict[str, Any]]:
    """The recorded migrations by number."""
    return {int(doc["_id"]): doc async for doc in db["migrations"].find()}


async def pending(db: Db, migrations: Sequence[Migration] = MIGRATIONS) -> list[Migration]:
    done = await applied(db)
    return [m for m in sorted(migrations, key=lambda m: m.number) if m.number not in done]


async def migrate(
    db: Db,
    migrations: Sequence[Migration] = MIGRATIONS,
    *,
    clock: Callable[[], datetime] = utcnow,
    wait_seconds: float = _WAIT_SECONDS,
) -> list[int]:
    """Apply what is pending (under the lock); return the numbers this call applied."""
    if not await pending(db, migrations):
        return []
    holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    deadline = time.monotonic() + wait_seconds
    while not await _acquire(db, holder, clock()):
        if time.monotonic() > deadline:
            raise MigrationError("schema migrations: another process holds the lock; gave up")
        await asyncio.sleep(_POLL_SECONDS)
        if not await pending(db, migrations):
            return []  # the holder applied them
    try:
        done: list[int] = []
        for migration in await pending(db, migrations):
            log.info("applying migration", extra={"number": migration.number})
            await migration.apply(db)
            await _record(db, migration, holder, clock())
            done.append(migration.number)
        latest = max(m.number for m in migrations)
        await db["meta"].update_one(
            {"_id": "schema"},
            {"$max": {"version": latest}, "$set": {"checked_at": clock()}},
            upsert=True,
        )
        return done
    finally:
        await db["meta"].delete_one({"_id": _LOCK, "holder": holder})


async def _acquire(db: Db, holder: str, now: datetime) -> bool:
    try:
        await db["meta"].update_one(
            {"_id": _LOCK, "until": {"$lt": now}},
            {"$set": {"holder": holder, "since": now, "until": now + _LEASE}},
            upsert=True,
        )
    except DuplicateKeyError:  # held, and not expired
        return False
    return True


async def _record(db: Db, migration: Migration, holder: str, now: datetime) -> None:
    try:
        await db["migrations"].insert_one(
            {"_id": migration.number, "name": migration.name, "applied_at": now, "by": holder}
        )
    except DuplicateKeyError:
        # Only if a lease expired under a very slow migration: the work is idempotent.
        log.warning("migration was recorded by another process", extra={"number": migration.number})
