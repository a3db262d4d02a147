"""The storage contract, run against MongoStore (real wire server) and its in-memory twin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.memory import MemoryStore
from bot.adapters.mongo import MongoStore
from bot.core.errors import ConflictError
from bot.core.model import Appointment, AppointmentStatus, Conversation
from bot.core.ports import InboundMessage, OutboxEntry, OutboxState, Store, UpsertOutcome
from bot.settings import Settings
from tests.conftest import open_mongo_store

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "mongo"])
async def store(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    async with open_mongo_store(settings) as mongo:
        yield mongo


def _appointment(**changes: object) -> Appointment:
    base = Appointment(
        id="a1",
        external_id="LEG-1",
        patient_name="Conceição Peçanha",
        phone="+5511987654321",
        starts_at=NOW + timedelta(days=1),
        doctor="Dra. Cláudia Guimarães",
        unit="centro",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _conversation(**changes: object) -> Conversation:
    base = Conversation(
        id="c1",
        phone="+5511987654321",
        flow="confirmation",
        flow_version="v1",
        state="waiting",
        appointment_ids=("a1",),
        created_at=NOW,
        updated_at=NOW,
        data={"unknown": 0, "decisions": [{"intent": "confirm", "at": NOW}]},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _entry(key: str = "c1:reminder", **changes: object) -> OutboxEntry:
    base = OutboxEntry(
        key=key,
        conversation_id="c1",
        phone="+5511987654321",
        sender="whatsapp:+5511930000001",
        kind="reminder",
        text="Olá",
        created_at=NOW,
        content_sid="HX1",
        variables={"1": "Conceição"},
        buttons=(("confirm", "Confirmar"),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def test_appointment_upsert_is_idempotent(store: Store) -> None:
    assert await store.appointments.upsert(_appointment()) == UpsertOutcome.CREATED
    assert await store.appointments.upsert(_appointment()) == UpsertOutcome.UNCHANGED
    moved = _appointment(id="other-id", starts_at=NOW + timedelta(days=2))
    assert await store.appointments.upsert(moved) == UpsertOutcome.UPDATED
    stored = await store.appointments.get_by_external_id("LEG-1")
    assert stored is not None
    assert stored.id == "a1"  # the first id is kept
    assert stored.starts_at == NOW + timedelta(days=2)
    assert stored.patient_name == "Conceição Peçanha"
    assert [a.id for a in await store.appointments.for_phone("+5511987654321")] == ["a1"]


async def test_appointment_status(store: Store) -> None:
    await store.appointments.upsert(_appointment())
    await store.appointments.set_status("a1", AppointmentStatus.CONFIRMED)
    stored = await store.appointments.get("a1")
    assert stored is not None
    assert stored.status is AppointmentStatus.CONFIRMED
    assert await store.appointments.get("missing") is None


async def test_conversation_round_trip_and_version_check(store: Store) -> None:
    conversation = _conversation()
    assert await store.conversations.create(conversation)
    assert not await store.conversations.create(conversation)
    assert await store.conversations.get("c1") == conversation
    assert await store.conversations.active_for_phone("+5511987654321") == conversation

    step = replace(conversation, state="confirmed", version=1)
    await store.conversations.save(step)
    stale = replace(conversation, state="cancelled", version=1)  # decided from version 0 too
    with pytest.raises(ConflictError):
        await store.conversations.save(stale)
    stored = await store.conversations.get("c1")
    assert stored is not None
    assert (stored.state, stored.version) == ("confirmed", 1)


async def test_inbound_dedupes_on_message_sid(store: Store) -> None:
    message = InboundMessage(sid="SM1", phone="+5511987654321", body="sim", received_at=NOW)
    assert await store.inbound.add(message)
    assert not await store.inbound.add(replace(message, body="replayed"))
    assert [m.sid for m in await store.inbound.unprocessed(NOW + timedelta(seconds=1), 10)] == [
        "SM1"
    ]
    await store.inbound.mark_processed("SM1", NOW)
    assert await store.inbound.unprocessed(NOW + timedelta(seconds=1), 10) == []


async def test_outbox_dedupes_and_compare_and_sets(store: Store) -> None:
    assert await store.outbox.add(_entry())
    assert not await store.outbox.add(_entry(text="again"))
    assert await store.outbox.get("c1:reminder") == _entry()
    assert [e.key for e in await store.outbox.due(NOW, 10)] == ["c1:reminder"]

    assert await store.outbox.update(
        "c1:reminder", OutboxState.PENDING, state=OutboxState.SENDING, attempts=1
    )
    # A second worker holding the same entry loses the race.
    assert not await store.outbox.update(
        "c1:reminder", OutboxState.PENDING, state=OutboxState.SENDING
    )
    assert await store.outbox.due(NOW, 10) == []
    stored = await store.outbox.get("c1:reminder")
    assert stored is not None
    assert (stored.state, stored.attempts) == (OutboxState.SENDING, 1)


async def test_outbox_due_respects_next_attempt(store: Store) -> None:
    await store.outbox.add(_entry("later", next_attempt_at=NOW + timedelta(minutes=5)))
    await store.outbox.add(_entry("now", created_at=NOW + timedelta(seconds=1)))
    assert [e.key for e in await store.outbox.due(NOW, 10)] == ["now"]
    assert [e.key for e in await store.outbox.due(NOW + timedelta(minutes=5), 10)] == [
        "later",
        "now",
    ]


async def test_transaction_commits_together_or_not_at_all(store: Store) -> None:
    await store.conversations.create(_conversation())
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.conversations.save(replace(_conversation(), state="confirmed", version=1))
            await tx.outbox.add(_entry())
            raise RuntimeError("crash before commit")
    stored = await store.conversations.get("c1")
    assert stored is not None
    assert stored.version == 0
    assert await store.outbox.get("c1:reminder") is None

    async with store.transaction() as tx:
        await tx.conversations.save(replace(_conversation(), state="confirmed", version=1))
        await tx.outbox.add(_entry())
    stored = await store.conversations.get("c1")
    assert stored is not None
    assert stored.version == 1
    assert await store.outbox.get("c1:reminder") is not None


async def test_mongo_schema_enforces_unique_external_id(mongo_store: MongoStore) -> None:
    indexes = await mongo_store.db["appointments"].index_information()
    assert indexes["external_id_unique"]["unique"] is True
