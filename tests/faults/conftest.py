"""Fixtures for the fault tests."""

from __future__ import annotations

import pytest

from bot.adapters.mongo import MongoStore


@pytest.fixture
def store(mongo_store: MongoStore) -> MongoStore:
    """The test's MongoDB store: the database every process of the cluster opens."""
    return mongo_store
