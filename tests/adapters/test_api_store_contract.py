"""The storage contract of the robot's API (tokens, idempotency keys, operations, cancellations).

Run against MongoStore (real wire server) and its in-memory twin, like test_store_contract.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.core.model import AppointmentStatus
from bot.core.ports import ApiToken, Cancellation, Operation, Store, UpsertOutcome
from bot.services.appointments import PATIENT_ANSWERS
from tests.adapters.test_store_contract import NOW, _appointment
from tests.builders import conversation, outbox_entry
from tests.checks import present

MINUTE = timedelta(minutes=1)


async def test_upsert_keeps_a_patient_answer_only_when_asked(store: Store) -> None:
    assert await store.appointments.upsert(_appointment()) is UpsertOutcome.CREATED
    await store.appointments.set_status("a1", AppointmentStatus.CONFIRMED)
    again = _appointment(id="other")
    kept = await store.appointments.upsert(again, keep_status=PATIENT_ANSWERS)
    assert kept is UpsertOutcome.UNCHANGED
    assert present(await store.appointments.get("a1")).status is AppointmentStatus.CONFIRMED

    renamed = _appointment(doctor="Dr. Outro")
    assert await store.appointments.upsert(renamed, keep_status=PATIENT_ANSWERS) is (
        UpsertOutcome.UPDATED
    )
    stored = present(await store.appointments.get("a1"))
    assert (stored.doctor, stored.status) == ("Dr. Outro", AppointmentStatus.CONFIRMED)

    cancelled = _appointment(doctor="Dr. Outro", status=AppointmentStatus.CANCELLED)
    assert await store.appointments.upsert(cancelled) is UpsertOutcome.UPDATED
    assert present(await store.appointments.get("a1")).status is AppointmentStatus.CANCELLED
    # CANCELLED is not a patient answer: "scheduled" again reinstates it.
    back = _appointment(doctor="Dr. Outro")
    assert await store.appointments.upsert(back, keep_status=PATIENT_ANSWERS) is (
        UpsertOutcome.UPDATED
    )
    assert present(await store.appointments.get("a1")).status is AppointmentStatus.SCHEDULED


async def test_upsert_with_keep_status_creates_with_the_given_status(store: Store) -> None:
    new = _appointment(status=AppointmentStatus.CANCELLED)
    assert await store.appointments.upsert(new, keep_status=PATIENT_ANSWERS) is (
        UpsertOutcome.CREATED
    )
    stored = await store.appointments.get_by_external_id("LEG-1")
    assert stored is not None
    assert stored.status is AppointmentStatus.CANCELLED


async def test_cancellations_pending_after_cursor_until_acknowledged(store: Store) -> None:
    for n in range(1, 5):
        await store.cancellations.add(Cancellation(f"k{n}", f"a{n}", f"LEG-{n}", NOW + n * MINUTE))
    first = await store.cancellations.pending_after(0, 2)
    assert [c.id for c in first] == ["k1", "k2"]
    rest = await store.cancellations.pending_after(first[-1].seq, 10)
    assert [c.id for c in rest] == ["k3", "k4"]

    acked = await store.cancellations.acknowledge("k2", "applied", "ok", NOW)
    assert acked is not None
    assert (acked.result, acked.detail, acked.acked_at) == (
        "applied",
        "ok",
        NOW,
    )
    # The first acknowledgement wins; a different second one changes nothing.
    again = await store.cancellations.acknowledge("k2", "failed", "no", NOW + MINUTE)
    assert again is not None
    assert (again.result, again.detail) == ("applied", "ok")
    assert [c.id for c in await store.cancellations.pending_after(0, 10)] == ["k1", "k3", "k4"]
    assert await store.cancellations.acknowledge("nope", "applied", "", NOW) is None
    got = await store.cancellations.get("k3")
    assert got is not None
    assert got.external_id == "LEG-3"


async def test_failed_cancellations_newest_first(store: Store) -> None:
    for n in range(1, 4):
        await store.cancellations.add(Cancellation(f"k{n}", f"a{n}", f"LEG-{n}", NOW))
    await store.cancellations.acknowledge("k1", "failed", "locked", NOW + MINUTE)
    await store.cancellations.acknowledge("k2", "applied", "", NOW + MINUTE)
    await store.cancellations.acknowledge("k3", "failed", "gone", NOW + 2 * MINUTE)
    assert [c.id for c in await store.cancellations.failed(10)] == ["k3", "k1"]


def _token(name: str = "robot", digest: str = "h1", **changes: object) -> ApiToken:
    return replace(ApiToken(name, digest, ("appointments:write",), NOW), **changes)  # type: ignore[arg-type]


async def test_tokens_by_hash_touch_and_revoke(store: Store) -> None:
    assert await store.tokens.add(_token())
    assert not await store.tokens.add(_token(digest="h2"))  # the name is taken
    found = await store.tokens.by_hash("h1")
    assert found is not None
    assert found.scopes == ("appointments:write",)
    assert await store.tokens.by_hash("h2") is None

    await store.tokens.touch("robot", NOW, MINUTE)
    await store.tokens.touch("robot", NOW + timedelta(seconds=30), MINUTE)  # too soon: kept
    assert present(await store.tokens.by_hash("h1")).last_used_at == NOW
    await store.tokens.touch("robot", NOW + 2 * MINUTE, MINUTE)
    assert present(await store.tokens.by_hash("h1")).last_used_at == NOW + 2 * MINUTE

    assert await store.tokens.revoke("robot", NOW)
    assert not await store.tokens.revoke("robot", NOW)
    assert not await store.tokens.revoke("nobody", NOW)
    assert present(await store.tokens.by_hash("h1")).revoked_at == NOW
    # A revoked name can be given to a new token, which replaces it.
    assert await store.tokens.add(_token(digest="h3"))
    assert await store.tokens.by_hash("h1") is None
    assert [t.name for t in await store.tokens.all()] == ["robot"]


async def test_idempotency_claim_complete_release(store: Store) -> None:
    repo = store.idempotency
    assert await repo.claim("k", "f1", NOW, MINUTE) is None
    held = await repo.claim("k", "f1", NOW, MINUTE)
    assert held is not None
    assert held.status is None
    assert held.fingerprint == "f1"
    await repo.complete("k", 200, '{"ok": true}')
    held = await repo.claim("k", "f2", NOW + 2 * MINUTE, MINUTE)
    assert held is not None
    assert (held.status, held.body, held.fingerprint) == (
        200,
        '{"ok": true}',
        "f1",
    )
    await repo.release("k")  # answered: a release keeps it
    assert await repo.claim("k", "f1", NOW, MINUTE) is not None

    assert await repo.claim("j", "f1", NOW, MINUTE) is None
    await repo.release("j")
    assert await repo.claim("j", "f1", NOW, MINUTE) is None
    # An unanswered claim older than stale_after is taken over.
    assert await repo.claim("j", "f1", NOW + 30 * MINUTE, MINUTE) is None


async def test_operations_progress_and_finish(store: Store) -> None:
    operation = Operation("op1", "appointments.push", "robot", NOW, NOW, total=300)
    await store.operations.create(operation)
    await store.operations.progress("op1", 100, NOW + MINUTE)
    got = present(await store.operations.get("op1"))
    assert (got.state, got.done, got.updated_at) == (
        "running",
        100,
        NOW + MINUTE,
    )
    await store.operations.succeed("op1", NOW + 2 * MINUTE, {"summary": {"created": 300}})
    got = present(await store.operations.get("op1"))
    assert (got.state, got.done, got.result) == ("succeeded", 300, {"summary": {"created": 300}})
    await store.operations.create(replace(operation, id="op2"))
    await store.operations.fail("op2", NOW, "boom")
    got = present(await store.operations.get("op2"))
    assert (got.state, got.error, got.result) == ("failed", "boom", None)
    assert await store.operations.get("nope") is None


async def test_outbox_for_conversation(store: Store) -> None:
    await store.conversations.create(conversation())
    for n, at in ((2, NOW + MINUTE), (1, NOW)):
        await store.outbox.add(outbox_entry(f"c1:k{n}", created_at=at))
    assert [e.key for e in await store.outbox.for_conversation("c1")] == ["c1:k1", "c1:k2"]
    assert await store.outbox.for_conversation("c2") == []
