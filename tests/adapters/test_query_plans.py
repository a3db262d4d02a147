"""Every query on a hot path is answered from an index, on the MongoDB-wire server we ship.

Each repository call below runs against the real server with a command listener;
every find, update and delete it sends is explained (its filter, sort and hint),
and the winning plan must not scan the collection. SecantusDB's planner falls
back to a collection scan for ``$ne`` and ``null`` predicates even with an indexed
prefix, so the store names the index for those (``hint``); MongoDB itself picks
the same one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import monitoring

from bot.adapters.crypto import create_cipher
from bot.adapters.mongo import MongoStore, create_mongo_client
from bot.adapters.mongo.schema import ensure_schema
from bot.adapters.mongo.sealing import Sealer
from bot.core.model import Appointment, AppointmentStatus, Conversation
from bot.core.ports import OutboxState, StatusEvent
from bot.settings import Settings

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PHONE = "+5511987654321"

Call = Callable[[MongoStore], Awaitable[object]]

HOT: dict[str, Call] = {
    "appointments.get": lambda s: s.appointments.get("a1"),
    "appointments.get_by_external_id": lambda s: s.appointments.get_by_external_id("LEG-1"),
    "appointments.for_phone": lambda s: s.appointments.for_phone(PHONE),
    "appointments.reminders_due": lambda s: s.appointments.reminders_due(NOW, 100),
    "appointments.between": lambda s: s.appointments.between(NOW, NOW + timedelta(days=1)),
    "appointments.status_times": lambda s: s.appointments.status_times(
        NOW, NOW + timedelta(days=1), "centro"
    ),
    "conversations.get": lambda s: s.conversations.get("c1"),
    "conversations.active_for_phone": lambda s: s.conversations.active_for_phone([PHONE]),
    "conversations.for_appointment": lambda s: s.conversations.for_appointment("a1"),
    "conversations.for_appointments": lambda s: s.conversations.for_appointments(["a1", "a2"]),
    "conversations.timed_out": lambda s: s.conversations.timed_out(NOW, 100),
    "inbound.mark_processed": lambda s: s.inbound.mark_processed("SM1", NOW),
    "inbound.unprocessed": lambda s: s.inbound.unprocessed(NOW, 100),
    "inbound.unprocessed_for": lambda s: s.inbound.unprocessed_for(PHONE),
    "outbox.get": lambda s: s.outbox.get("c1:reminder"),
    "outbox.by_provider_sid": lambda s: s.outbox.by_provider_sid("SM1"),
    "outbox.update": lambda s: s.outbox.update(
        "c1:reminder", OutboxState.PENDING, state=OutboxState.SENDING
    ),
    "outbox.due": lambda s: s.outbox.due(NOW, 100),
    "outbox.in_state": lambda s: s.outbox.in_state(OutboxState.SENDING, 100),
    "outbox.for_conversation": lambda s: s.outbox.for_conversation("c1"),
    "outbox.for_conversations": lambda s: s.outbox.for_conversations(["c1", "c2"]),
    "statuses.project": lambda s: s.statuses.project(StatusEvent("SM1", "sent", NOW), 3),
    "cancellations.for_appointment": lambda s: s.cancellations.for_appointment("a1"),
    "cancellations.pending_after": lambda s: s.cancellations.pending_after(0, 100),
    "cancellations.failed": lambda s: s.cancellations.failed(100),
    "cancellations.for_appointments": lambda s: s.cancellations.for_appointments(["a1"]),
    "tokens.by_hash": lambda s: s.tokens.by_hash("0" * 64),
    "suppressions.is_suppressed": lambda s: s.suppressions.is_suppressed(PHONE),
    "dead_letters.newest": lambda s: s.dead_letters.newest(10),
    # Conditional writes: their filter is a read too.
    "appointments.upsert": lambda s: s.appointments.upsert(
        APPOINTMENT, keep_status=frozenset({AppointmentStatus.CONFIRMED})
    ),
    "conversations.save": lambda s: _save_conversation(s),
    "statuses.project by key": lambda s: s.statuses.project(
        StatusEvent("SM1", "sent", NOW, key="c1:reminder"), 3
    ),
    "cancellations.acknowledge": lambda s: s.cancellations.acknowledge("x1", "done", "", NOW),
    "tokens.touch": lambda s: s.tokens.touch("robot", NOW, timedelta(minutes=1)),
    "tokens.revoke": lambda s: s.tokens.revoke("robot", NOW),
    "idempotency.claim": lambda s: s.idempotency.claim("k1", "f", NOW, timedelta(minutes=5)),
    "idempotency.release": lambda s: s.idempotency.release("k1"),
}


APPOINTMENT = Appointment(
    id="a1",
    external_id="LEG-1",
    patient_name="Maria da Silva",
    phone=PHONE,
    starts_at=NOW + timedelta(days=1),
    doctor="Dra. Cláudia",
    unit="centro",
)


async def _save_conversation(store: MongoStore) -> None:
    current = await store.conversations.get("c1")
    assert current is not None
    await store.conversations.save(replace(current, state="confirmed", version=current.version + 1))


class _Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in {"find", "update", "delete"}:
            self.sent.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _as_finds(command: dict[str, Any]) -> list[dict[str, Any]]:
    """The reads a command makes, as find commands that can be explained."""
    if "find" in command:
        keep = ("find", "filter", "sort", "hint", "limit", "projection")
        return [{k: command[k] for k in keep if k in command}]
    name = "update" if "update" in command else "delete"
    statements = command["updates" if name == "update" else "deletes"]
    return [
        {"find": command[name], "filter": s["q"], **({"hint": s["hint"]} if "hint" in s else {})}
        for s in statements
    ]


def _stages(plan: dict[str, Any]) -> list[str]:
    found = [plan.get("stage", "")]
    for key in ("inputStage", "outerStage", "innerStage"):
        if key in plan:
            found += _stages(plan[key])
    for child in plan.get("inputStages", []):
        found += _stages(child)
    return found


@pytest.fixture
async def watched(settings: Settings) -> AsyncIterator[tuple[MongoStore, _Commands]]:
    assert settings.mongodb_url
    listener = _Commands()
    client = create_mongo_client(settings.mongodb_url, event_listeners=[listener])
    db = client[settings.mongodb_db]
    await ensure_schema(db)
    store = MongoStore(db, Sealer(create_cipher(settings.data_dir)))
    await store.conversations.create(
        Conversation(
            id="c1",
            phone=PHONE,
            flow="confirmation",
            flow_version="v1",
            state="waiting",
            appointment_ids=("a1",),
            created_at=NOW,
            updated_at=NOW,
        )
    )
    await store.appointments.upsert(replace(APPOINTMENT, status=AppointmentStatus.CONFIRMED))
    await store.idempotency.claim("k1", "f", NOW - timedelta(hours=1), timedelta(minutes=5))
    try:
        yield store, listener
    finally:
        await client.drop_database(settings.mongodb_db)
        await client.close()


@pytest.mark.parametrize("name", sorted(HOT))
async def test_hot_query_uses_an_index(
    watched: tuple[MongoStore, _Commands], name: str
) -> None:
    store, listener = watched
    listener.sent.clear()
    await HOT[name](store)
    finds = [find for command in listener.sent for find in _as_finds(command)]
    assert finds, f"{name} sent no query"
    for find in finds:
        explained = await store.db.command({"explain": find, "verbosity": "queryPlanner"})
        stages = _stages(explained["queryPlanner"]["winningPlan"])
        assert "COLLSCAN" not in stages, (find, stages)
