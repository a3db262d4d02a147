"""A turn's writes inside its transaction: one ``bulkWrite`` on MongoDB 8.0+, one round trip
each otherwise, and the same outcomes either way (read back, version check, duplicate key,
write conflict, nothing kept on failure)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from pymongo import monitoring

from bot.adapters.mongo import MongoStore, create_mongo_client
from bot.adapters.mongo.batch import BULK_WRITE_WIRE_VERSION
from bot.adapters.mongo.migrations import ensure_schema
from bot.adapters.mongo.opening import connect_store
from bot.core.errors import ConflictError
from bot.core.model import Conversation
from bot.core.ports import InboundMessage, Store
from bot.settings import Settings
from tests.builders import NOW, PHONE, conversation, outbox_entry
from tests.conftest import open_mongo_store

MESSAGE = InboundMessage(sid="SM1", phone=PHONE, body="2", received_at=NOW)


async def _running(store: Store) -> Conversation:
    """Conversation c1 at version 0 and one message waiting for its turn."""
    started = conversation()
    assert await store.conversations.create(started)
    assert await store.inbound.add(MESSAGE)
    return started


def _next(before: Conversation, state: str) -> Conversation:
    return replace(before, state=state, version=before.version + 1, updated_at=NOW + timedelta(1))


async def test_a_turn_reads_its_own_writes_inside_its_transaction(store: Store) -> None:
    before = await _running(store)
    after = _next(before, "kept")
    async with store.transaction() as tx:
        await tx.conversations.save(after, before)
        assert await tx.conversations.get("c1") == after
        assert await tx.outbox.add(outbox_entry("c1:reply"))
        assert await tx.outbox.get("c1:reply") == outbox_entry("c1:reply")
        await tx.inbound.mark_processed("SM1", NOW)
        assert await tx.inbound.unprocessed_for(PHONE) == []
    assert await store.conversations.get("c1") == after
    assert await store.outbox.get("c1:reply") == outbox_entry("c1:reply")
    assert await store.inbound.unprocessed_for(PHONE) == []


async def test_a_stale_save_keeps_none_of_the_turn_s_writes(store: Store) -> None:
    before = await _running(store)
    await store.conversations.save(_next(before, "kept"), before)  # another turn won
    with pytest.raises(ConflictError):
        async with store.transaction() as tx:
            await tx.conversations.save(_next(before, "cancelled"), before)
            await tx.outbox.add(outbox_entry("c1:reply"))
            await tx.inbound.mark_processed("SM1", NOW)
    stored = await store.conversations.get("c1")
    assert stored is not None
    assert (stored.state, stored.version) == ("kept", 1)
    assert await store.outbox.get("c1:reply") is None
    assert [m.sid for m in await store.inbound.unprocessed_for(PHONE)] == ["SM1"]


@pytest.fixture(params=["bulk", "split"])
async def mongo(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[MongoStore]:
    """MongoStore as the server allows (bulk on 8.0+), and forced to one write per round trip."""
    bulk_writes = False if request.param == "split" else None
    async with open_mongo_store(settings, bulk_writes=bulk_writes) as store:
        yield store


async def test_a_duplicate_outbox_key_in_a_transaction_keeps_nothing(mongo: MongoStore) -> None:
    before = await _running(mongo)
    assert await mongo.outbox.add(outbox_entry("c1:reply"))  # recorded by an earlier turn
    with pytest.raises(ConflictError, match="outbox: written concurrently"):
        async with mongo.transaction() as tx:
            await tx.conversations.save(_next(before, "kept"), before)
            await tx.outbox.add(outbox_entry("c1:reply", text="again"))
            await tx.inbound.mark_processed("SM1", NOW)
    assert await mongo.conversations.get("c1") == before
    assert await mongo.outbox.get("c1:reply") == outbox_entry("c1:reply")
    assert [m.sid for m in await mongo.inbound.unprocessed_for(PHONE)] == ["SM1"]


async def test_a_write_conflict_with_another_transaction_is_a_conflict(mongo: MongoStore) -> None:
    before = await _running(mongo)
    async with mongo.transaction() as first:
        await first.conversations.save(_next(before, "kept"), before)
        await first.inbound.unprocessed_for(PHONE)  # a read: the save has reached the server
        with pytest.raises(ConflictError):
            async with mongo.transaction() as second:
                await second.conversations.save(_next(before, "cancelled"), before)
                await second.outbox.add(outbox_entry("c1:reply"))
    stored = await mongo.conversations.get("c1")
    assert stored is not None
    assert (stored.state, stored.version) == ("kept", 1)
    assert await mongo.outbox.get("c1:reply") is None


class _Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.mark.parametrize("bulk_writes", [None, False])
async def test_a_turn_s_three_writes_are_one_bulk_write_on_mongodb_8(
    settings: Settings, bulk_writes: bool | None
) -> None:
    assert settings.mongodb_url is not None
    listener = _Commands()
    client = create_mongo_client(settings.mongodb_url, event_listeners=[listener])
    try:
        store = connect_store(settings, client, bulk_writes=bulk_writes).store
        await ensure_schema(store.db)
        before = await _running(store)
        hello = await client.admin.command("hello")
        listener.names.clear()
        async with store.transaction() as tx:
            await tx.conversations.save(_next(before, "kept"), before)
            await tx.outbox.add(outbox_entry("c1:reply"))
            await tx.inbound.mark_processed("SM1", NOW)
        if bulk_writes is None and hello["maxWireVersion"] >= BULK_WRITE_WIRE_VERSION:
            assert listener.names == ["bulkWrite", "commitTransaction"]
        else:  # MongoDB 7, or forced: one round trip per write
            assert listener.names == ["update", "insert", "update", "commitTransaction"]
        assert await store.conversations.get("c1") == _next(before, "kept")
        assert await store.outbox.get("c1:reply") == outbox_entry("c1:reply")
        assert await store.inbound.unprocessed_for(PHONE) == []
    finally:
        await client.drop_database(settings.mongodb_db)
        await client.close()
