"""Creating the MongoDB client the same way everywhere."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from pymongo import AsyncMongoClient

__all__ = ["create_mongo_client"]


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
