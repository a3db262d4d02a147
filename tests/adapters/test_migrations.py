"""Schema migrations on the real MongoDB-wire server: once each, under a lock, recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from bot.adapters.mongo import connect_store, open_store
from bot.adapters.mongo.migrations import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    MigrationError,
    applied,
    migrate,
    replace_index,
    schema_current,
)
from bot.adapters.mongo.schema import INDEXES
from bot.cli import main
from bot.settings import Settings
from tests.cli_env import use_settings

ROOT = Path(__file__).resolve().parents[2]

Db = AsyncDatabase[dict[str, Any]]


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Db]:
    opened = connect_store(settings)
    try:
        yield opened.db
    finally:
        await opened.client.drop_database(settings.mongodb_db)
        await opened.client.close()


_SHIPPED = [m.number for m in MIGRATIONS]
_NEXT = _SHIPPED[-1] + 1  # a migration a later release would add


async def _made_by_schema_version_1(db: Db) -> None:
    """What the last release's ensure_schema left: the indexes and meta.schema, no ledger."""
    for name, indexes in INDEXES.items():
        await db[name].create_indexes(indexes)
    await db["meta"].insert_one(
        {"_id": "schema", "version": 1, "checked_at": datetime(2026, 11, 1, tzinfo=UTC)}
    )
    await db["appointments"].insert_one({"_id": "a1", "external_id": "LEG-1"})


async def test_start_on_a_database_made_by_the_previous_schema_version(
    db: Db, settings: Settings
) -> None:
    await _made_by_schema_version_1(db)
    before = {name: await db[name].index_information() for name in INDEXES}
    assert not await schema_current(db)

    async with open_store(settings) as opened:  # how every process starts
        assert await schema_current(opened.db)
    ledger = await applied(db)
    assert sorted(ledger) == [m.number for m in MIGRATIONS]
    assert ledger[1]["name"] == "collections and indexes"
    assert {name: await db[name].index_information() for name in INDEXES} == before
    assert await db["appointments"].count_documents({}) == 1
    meta = await db["meta"].find_one({"_id": "schema"})
    assert meta is not None
    assert meta["version"] == SCHEMA_VERSION
    assert await db["meta"].find_one({"_id": "migration_lock"}) is None  # let go

    async with open_store(settings):  # a second start applies nothing
        pass
    assert await applied(db) == ledger


async def test_a_changed_index_definition_is_a_migration_not_a_boot_loop(db: Db) -> None:
    await _made_by_schema_version_1(db)
    await migrate(db)
    changed = IndexModel([("key", ASCENDING)], name="key", unique=True)
    # Creating the new definition over the old one fails every time: the old schema step
    # retried that forever and /readyz stayed 503.
    with pytest.raises(OperationFailure):
        await db["simulator_messages"].create_indexes([changed])

    async def unique_key(db: Db) -> None:
        await db["simulator_messages"].drop_index("key")
        await db["simulator_messages"].create_indexes([changed])

    migrations = [*MIGRATIONS, Migration(_NEXT, "simulator_messages.key unique", unique_key)]
    assert await migrate(db, migrations) == [_NEXT]
    assert await migrate(db, migrations) == []
    assert (await db["simulator_messages"].index_information())["key"]["unique"] is True
    assert sorted(await applied(db)) == [*_SHIPPED, _NEXT]


async def test_replace_index_rebuilds_one_index_from_its_current_definition(db: Db) -> None:
    # outbox.provider_sid as an older release might have built it: not sparse.
    await db["outbox"].create_indexes(
        [IndexModel([("provider_sid", ASCENDING)], name="provider_sid")]
    )
    await replace_index("outbox", "provider_sid")(db)
    assert (await db["outbox"].index_information())["provider_sid"].get("sparse") is True
    await replace_index("outbox", "provider_sid")(db)  # safe to run twice
    assert (await db["outbox"].index_information())["provider_sid"].get("sparse") is True


async def test_concurrent_starts_apply_each_migration_exactly_once(db: Db) -> None:
    runs: list[int] = []

    async def slow(db: Db) -> None:
        runs.append(1)
        await asyncio.sleep(0.3)
        await db["probe"].insert_one({})

    migrations = [*MIGRATIONS, Migration(_NEXT, "slow backfill", slow)]
    results = await asyncio.gather(*(migrate(db, migrations) for _ in range(5)))
    assert runs == [1]
    # each applied by one caller
    assert sorted(n for result in results for n in result) == [*_SHIPPED, _NEXT]
    assert await db["probe"].count_documents({}) == 1
    assert sorted(await applied(db)) == [*_SHIPPED, _NEXT]


async def test_a_held_lock_waits_and_a_dead_holders_lock_expires(db: Db) -> None:
    now = datetime.now(UTC)
    await db["meta"].insert_one(
        {"_id": "migration_lock", "holder": "gone:1", "until": now + timedelta(minutes=5)}
    )
    with pytest.raises(MigrationError, match="another process holds the lock"):
        await migrate(db, wait_seconds=0.5)
    assert await applied(db) == {}
    await db["meta"].update_one(
        {"_id": "migration_lock"}, {"$set": {"until": now - timedelta(seconds=1)}}
    )
    assert await migrate(db) == _SHIPPED


def test_db_status_and_migrate_commands(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.mongodb_url
    assert settings.redis_url
    use_settings(monkeypatch, settings)
    runner = CliRunner()
    try:
        status = runner.invoke(main, ["db", "status"])
        assert status.exit_code == 1, status.output
        assert "   1  collections and indexes  pending" in status.stdout
        migrated = runner.invoke(main, ["db", "migrate"])
        assert migrated.exit_code == 0, migrated.output
        assert migrated.stdout.strip() == f'{{"applied": {_SHIPPED}}}'
        status = runner.invoke(main, ["db", "status"])
        assert status.exit_code == 0, status.output
        assert "   1  collections and indexes  applied 20" in status.stdout
        assert runner.invoke(main, ["db", "migrate"]).stdout.strip() == '{"applied": []}'
    finally:
        asyncio.run(_drop(settings))


async def _drop(settings: Settings) -> None:
    opened = connect_store(settings)
    await opened.client.drop_database(settings.mongodb_db)
    await opened.client.close()
