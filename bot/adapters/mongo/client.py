"""Creating the MongoDB client the same way everywhere."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pymongo
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

__all__ = ["PING_SECONDS", "create_mongo_client", "ping"]

# A ping's own deadline: longer than server selection (5 s) so a server that comes up
# late is still found, short enough that a readiness probe never runs for long.
PING_SECONDS = 10.0


def create_mongo_client(url: str, **overrides: Any) -> AsyncMongoClient[dict[str, Any]]:
    """An AsyncMongoClient returning timezone-aware (UTC) datetimes.

    Bound to the running event loop: create it inside the loop that uses it.
    """
    options: dict[str, Any] = {
        "tz_aware": True,
        "tzinfo": UTC,
        "serverSelectionTimeoutMS": 5000,
        "connectTimeoutMS": 2000,
        "appname": "digitaly",
    }
    options.update(overrides)
    return AsyncMongoClient(url, **options)


async def ping(db: AsyncDatabase[dict[str, Any]]) -> object:
    """Ping the server within pymongo's own deadline (``pymongo.timeout``).

    The deadline is the driver's, not a cancel from outside: cancelling a pymongo
    operation mid-flight can leave its client stuck (bot.web.in_flight says how).
    """
    with pymongo.timeout(PING_SECONDS):
        return await db.command("ping")
