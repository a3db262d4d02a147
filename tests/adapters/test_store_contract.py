"""The storage contract, run against MongoStore (real wire server) and its in-memory twin."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.adapters.mongo import MongoStore
from bot.core.errors import ConflictError
from bot.core.model import AppointmentStatus, Conversation, ConversationStatus
from bot.core.ports import (
    Cancellation,
    DeadLetter,
    InboundMessage,
    OutboxState,
    SenderPause,
    StatusEvent,
    Store,
    UpsertOutcome,
)
from tests.builders import NOW, PHONE, appointment, conversation, outbox_entry

_appointment = appointment
_entry = outbox_entry


def _conversation(**changes: object) -> Conversation:
    data = {"unknown": 0, "decisions": [{"intent": "confirm", "at": NOW.isoformat()}]}
    return conversation(**{"data": data, **changes})


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


async def test_a_reply_without_context_goes_to_the_newest_active_not_a_hand_off(
    store: Store,
) -> None:
    older = _conversation(id="c-old", created_at=NOW - timedelta(days=1))
    handed = _conversation(id="c-new", status=ConversationStatus.HANDED_OFF)
    assert await store.conversations.create(older)
    assert await store.conversations.create(handed)
    found = await store.conversations.active_for_phone(("+5511987654321",))
    assert found is not None
    assert found.id == "c-old"
    await store.conversations.save(
        replace(older, status=ConversationStatus.DONE, version=older.version + 1)
    )
    found = await store.conversations.active_for_phone(("+5511987654321",))
    assert found is not None
    assert found.id == "c-new"


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
    assert (
        await store.conversations.active_for_phone(("+551187654321", "+5511987654321"))
        == conversation
    )
    assert await store.conversations.active_for_phone(("+5511900000000",)) is None

    step = replace(conversation, state="confirmed", version=1)
    await store.conversations.save(step)
    stale = replace(conversation, state="cancelled", version=1)  # decided from version 0 too
    with pytest.raises(ConflictError):
        await store.conversations.save(stale)
    stored = await store.conversations.get("c1")
    assert stored is not None
    assert (stored.state, stored.version) == ("confirmed", 1)


async def test_a_save_from_the_version_read_writes_the_whole_next_version(store: Store) -> None:
    conversation = _conversation()
    assert await store.conversations.create(conversation)
    # What a turn does: the fields it changed differ, the phone and the rest stay.
    step = replace(
        conversation,
        state="confirmed",
        version=1,
        timeout_at=NOW + timedelta(hours=2),
        data={**conversation.data, "unknown": 1},
        updated_at=NOW + timedelta(minutes=1),
    )
    await store.conversations.save(step, conversation)
    assert await store.conversations.get("c1") == step
    assert await store.conversations.active_for_phone(("+5511987654321",)) == step
    kept = replace(step, state="kept", version=2)  # the data unchanged this time
    await store.conversations.save(kept, step)
    assert await store.conversations.get("c1") == kept
    with pytest.raises(ConflictError):  # decided from version 1 too: refused as without it
        await store.conversations.save(replace(step, state="cancelled", version=2), step)
    assert await store.conversations.get("c1") == kept


async def test_latest_for_phone_finds_a_finished_conversation(store: Store) -> None:
    older = _conversation()
    newer = replace(older, id="c2", created_at=older.created_at + timedelta(hours=1))
    assert await store.conversations.create(older)
    assert await store.conversations.create(newer)
    await store.conversations.save(replace(newer, status=ConversationStatus.DONE, version=1))
    phones = ("+551187654321", "+5511987654321")
    assert await store.conversations.active_for_phone(phones) == older
    latest = await store.conversations.latest_for_phone(phones)
    assert latest is not None
    assert (latest.id, latest.status) == ("c2", ConversationStatus.DONE)
    assert await store.conversations.latest_for_phone(("+5511900000000",)) is None


async def test_inbound_dedupes_on_message_sid(store: Store) -> None:
    message = InboundMessage(sid="SM1", phone="+5511987654321", body="sim", received_at=NOW)
    assert await store.inbound.add(message)
    assert not await store.inbound.add(replace(message, body="replayed"))
    assert [m.sid for m in await store.inbound.unprocessed(NOW + timedelta(seconds=1), 10)] == [
        "SM1"
    ]
    await store.inbound.add(replace(message, sid="SM0", received_at=NOW - timedelta(seconds=1)))
    await store.inbound.add(replace(message, sid="SM9", phone="+5521999990000"))
    assert [m.sid for m in await store.inbound.unprocessed_for("+5511987654321")] == ["SM0", "SM1"]
    await store.inbound.mark_processed("SM1", NOW)
    await store.inbound.mark_processed("SM0", NOW)
    assert await store.inbound.unprocessed_for("+5511987654321") == []
    assert [m.sid for m in await store.inbound.unprocessed(NOW + timedelta(seconds=1), 10)] == [
        "SM9"
    ]


async def test_outbox_dedupes_and_compare_and_sets(store: Store) -> None:
    assert await store.outbox.add(_entry())
    assert not await store.outbox.add(_entry(text="again"))
    assert await store.outbox.get("c1:reminder") == _entry()
    assert [e.key for e in await store.outbox.due(NOW, NOW + timedelta(seconds=1), 10)] == [
        "c1:reminder"
    ]

    assert await store.outbox.update(
        "c1:reminder", OutboxState.PENDING, state=OutboxState.SENDING, attempts=1
    )
    # A second worker holding the same entry loses the race.
    assert not await store.outbox.update(
        "c1:reminder", OutboxState.PENDING, state=OutboxState.SENDING
    )
    assert await store.outbox.due(NOW, NOW + timedelta(seconds=1), 10) == []
    stored = await store.outbox.get("c1:reminder")
    assert stored is not None
    assert (stored.state, stored.attempts) == (OutboxState.SENDING, 1)


async def test_outbox_due_respects_next_attempt_and_hand_off_time(store: Store) -> None:
    await store.outbox.add(_entry("later", next_attempt_at=NOW + timedelta(minutes=5)))
    await store.outbox.add(_entry("now", created_at=NOW + timedelta(seconds=1)))
    await store.outbox.add(_entry("queued", created_at=NOW + timedelta(seconds=30)))
    after_all = NOW + timedelta(minutes=10)
    assert [e.key for e in await store.outbox.due(NOW, after_all, 10)] == ["now", "queued"]
    assert [e.key for e in await store.outbox.due(NOW + timedelta(minutes=5), after_all, 10)] == [
        "later",
        "now",
        "queued",
    ]
    # Handed out after the queue's oldest unfinished task: not read.
    handed_before = NOW + timedelta(seconds=10)
    assert [e.key for e in await store.outbox.due(NOW, handed_before, 10)] == ["now"]
    # A postponed entry is read when its attempt is due, whenever it was created.
    late = NOW + timedelta(minutes=5)
    assert [e.key for e in await store.outbox.due(late, NOW, 10)] == ["later"]
    assert [e.key for e in await store.outbox.due(late, NOW, 1)] == ["later"]


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


async def test_status_events_dedupe_and_project_forward_only(store: Store) -> None:
    await store.outbox.add(_entry())
    await store.outbox.update("c1:reminder", OutboxState.PENDING, provider_sid="SMx")
    delivered = StatusEvent(sid="SMx", status="delivered", received_at=NOW, key="c1:reminder")
    assert await store.statuses.append(delivered)
    assert not await store.statuses.append(delivered)
    assert await store.statuses.project(delivered, 5)
    late_sent = StatusEvent(sid="SMx", status="sent", received_at=NOW)  # found by provider sid
    assert not await store.statuses.project(late_sent, 3)
    entry = await store.outbox.get("c1:reminder")
    assert entry is not None
    assert (entry.delivery_status, entry.delivery_rank) == ("delivered", 5)
    read = StatusEvent(sid="SMx", status="read", received_at=NOW)
    assert await store.statuses.project(read, 6)
    entry = await store.outbox.get("c1:reminder")
    assert entry is not None
    assert entry.delivery_status == "read"


async def test_cancellations_one_per_appointment_in_sequence(store: Store) -> None:
    first = Cancellation(id="k1", appointment_id="a1", external_id="LEG-1", requested_at=NOW)
    assert await store.cancellations.add(first)
    assert not await store.cancellations.add(replace(first, id="k1b"))
    assert await store.cancellations.add(replace(first, id="k2", appointment_id="a2"))
    one = await store.cancellations.for_appointment("a1")
    two = await store.cancellations.for_appointment("a2")
    assert one is not None
    assert two is not None
    assert (one.id, two.id) == ("k1", "k2")
    assert one.seq < two.seq


async def test_reminder_due_scan_and_upserts_keep_it(store: Store) -> None:
    await store.appointments.upsert(_appointment())
    await store.appointments.upsert(_appointment(id="a2", external_id="LEG-2"))
    await store.appointments.set_reminder_due("a1", NOW)
    await store.appointments.set_reminder_due("a2", NOW + timedelta(hours=1))
    assert [a.id for a in await store.appointments.reminders_due(NOW, 10)] == ["a1"]
    # The robot pushing the same appointment again does not reset what the scheduler owns.
    await store.appointments.upsert(_appointment(doctor="Dr. Outro"))
    assert [a.id for a in await store.appointments.reminders_due(NOW, 10)] == ["a1"]
    await store.appointments.set_reminder_due("a1", None)
    assert await store.appointments.reminders_due(NOW + timedelta(hours=2), 10) == [
        await store.appointments.get("a2")
    ]


async def test_conversations_by_appointment_and_timeout(store: Store) -> None:
    await store.conversations.create(_conversation(timeout_at=NOW))
    await store.conversations.create(
        _conversation(
            id="c2", created_at=NOW + timedelta(seconds=1), timeout_at=NOW + timedelta(hours=1)
        )
    )
    assert [c.id for c in await store.conversations.for_appointment("a1")] == ["c2", "c1"]
    assert [c.id for c in await store.conversations.timed_out(NOW, 10)] == ["c1"]
    assert await store.conversations.for_appointment("zz") == []


async def test_outbox_in_state_oldest_first(store: Store) -> None:
    await store.outbox.add(_entry("b", created_at=NOW + timedelta(seconds=1)))
    await store.outbox.add(_entry("a"))
    await store.outbox.add(_entry("c", state=OutboxState.UNKNOWN))
    assert [e.key for e in await store.outbox.in_state(OutboxState.PENDING, 10)] == ["a", "b"]
    assert [e.key for e in await store.outbox.in_state(OutboxState.UNKNOWN, 10)] == ["c"]
    assert [e.key for e in await store.outbox.in_state(OutboxState.PENDING, 1)] == ["a"]


async def test_outbox_sent_with_buttons_to_a_number_in_a_time_range(store: Store) -> None:
    sent = {"provider_sid": "SM1", "state": OutboxState.SENT}
    await store.outbox.add(_entry("b", created_at=NOW + timedelta(hours=1), **sent))
    await store.outbox.add(_entry("a", **sent))
    await store.outbox.add(_entry("unsent"))  # no provider sid: the patient never saw it
    await store.outbox.add(_entry("plain", buttons=(), **sent | {"provider_sid": "SM2"}))
    await store.outbox.add(
        _entry("other", phone="+5511900000000", **sent | {"provider_sid": "SM3"})
    )
    await store.outbox.add(_entry("old", created_at=NOW - timedelta(days=9), **sent))
    found = await store.outbox.sent_with_buttons(
        [PHONE], NOW - timedelta(days=1), NOW + timedelta(hours=1)
    )
    assert [e.key for e in found] == ["a", "b"]
    assert found[0] == _entry("a", **sent)
    assert await store.outbox.sent_with_buttons([PHONE], NOW - timedelta(days=1), NOW) == [found[0]]


async def test_outbox_sending_fields_round_trip(store: Store) -> None:
    entry = _entry(expires_at=NOW + timedelta(days=1))
    await store.outbox.add(entry)
    sending: dict[str, Any] = {
        "state": OutboxState.UNKNOWN,
        "attempts": 2,
        "claimed_at": NOW,
        "kicked_at": NOW,
        "unknown_since": NOW + timedelta(seconds=3),
        "failure": "why",
    }
    assert await store.outbox.update(entry.key, OutboxState.PENDING, **sending)
    assert await store.outbox.get(entry.key) == replace(entry, **sending)


async def test_suppressions(store: Store) -> None:
    assert not await store.suppressions.is_suppressed("+5511987654321")
    assert await store.suppressions.add("+5511987654321", "patient opted out", NOW)
    assert not await store.suppressions.add("+5511987654321", "again", NOW)
    assert await store.suppressions.is_suppressed("+5511987654321")
    assert await store.suppressions.is_suppressed("+551187654321", "+5511987654321")
    assert not await store.suppressions.is_suppressed("+551187654321")
    assert await store.suppressions.remove("+5511987654321")
    assert not await store.suppressions.remove("+5511987654321")
    assert not await store.suppressions.is_suppressed("+5511987654321")


async def test_sender_pauses_only_ever_lengthen(store: Store) -> None:
    sender, other = "whatsapp:+5511930000001", "whatsapp:+5511930000002"
    assert await store.sender_pauses.until(sender, NOW) is None
    await store.sender_pauses.pause(SenderPause(sender, NOW + timedelta(hours=1), 63018, NOW))
    await store.sender_pauses.pause(SenderPause(sender, NOW + timedelta(minutes=5), 63018, NOW))
    await store.sender_pauses.pause(SenderPause(other, NOW + timedelta(minutes=1), None, NOW))
    assert await store.sender_pauses.until(sender, NOW) == NOW + timedelta(hours=1)
    assert [p.sender for p in await store.sender_pauses.active(NOW)] == [sender, other]
    later = NOW + timedelta(minutes=2)
    assert await store.sender_pauses.active(later) == [
        SenderPause(sender, NOW + timedelta(hours=1), 63018, NOW)
    ]
    assert await store.sender_pauses.until(sender, NOW + timedelta(hours=1)) is None


async def test_dead_letters_once_per_key_newest_first(store: Store) -> None:
    first = DeadLetter(key="k1", reason="gave up", at=NOW, attempts=5, error_code=30003)
    assert await store.dead_letters.add(first)
    assert not await store.dead_letters.add(replace(first, reason="again"))
    second = DeadLetter(key="k2", reason="alert", at=NOW + timedelta(minutes=1), kind="reminder")
    await store.dead_letters.add(second)
    assert await store.dead_letters.newest(10) == [second, first]
    assert await store.dead_letters.newest(1) == [second]
    assert await store.dead_letters.get("k1") == first
    assert await store.dead_letters.remove("k1")
    assert await store.dead_letters.get("k1") is None


async def test_dead_letter_and_state_commit_together(store: Store) -> None:
    await store.outbox.add(_entry())
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.outbox.update("c1:reminder", OutboxState.PENDING, state=OutboxState.DEAD)
            await tx.dead_letters.add(DeadLetter(key="c1:reminder", reason="r", at=NOW))
            raise RuntimeError("crash before commit")
    assert await store.dead_letters.get("c1:reminder") is None
    entry = await store.outbox.get("c1:reminder")
    assert entry is not None
    assert entry.state is OutboxState.PENDING


# --- The reports' reads --------------------------------------------------------------------


async def test_appointments_between_a_window_and_of_a_unit(store: Store) -> None:
    start = NOW + timedelta(days=1)
    await store.appointments.upsert(_appointment(id="a1", external_id="L1", starts_at=start))
    await store.appointments.upsert(
        _appointment(
            id="a2", external_id="L2", starts_at=start + timedelta(hours=2), unit="paulista"
        )
    )
    await store.appointments.upsert(
        _appointment(id="a3", external_id="L3", starts_at=start + timedelta(days=1))
    )  # the end is excluded
    await store.appointments.set_status("a2", AppointmentStatus.CONFIRMED)
    end = start + timedelta(days=1)
    assert [a.id for a in await store.appointments.between(start, end)] == ["a1", "a2"]
    assert [a.id for a in await store.appointments.between(start, end, "paulista")] == ["a2"]
    found = await store.appointments.between(start, end, "centro")
    assert [a.patient_name for a in found] == ["Conceição Peçanha"]  # read back whole
    assert sorted(await store.appointments.status_times(start, end)) == [
        (start, AppointmentStatus.SCHEDULED),
        (start + timedelta(hours=2), AppointmentStatus.CONFIRMED),
    ]
    assert await store.appointments.status_times(start, end, "nowhere") == []


async def test_conversations_for_many_appointments_each_once(store: Store) -> None:
    await store.conversations.create(_conversation(id="c1", appointment_ids=("a1", "a2")))
    await store.conversations.create(_conversation(id="c2", appointment_ids=("a3",)))
    await store.conversations.create(_conversation(id="c3", appointment_ids=("a9",)))
    found = await store.conversations.for_appointments(["a1", "a2", "a3"])
    assert sorted(c.id for c in found) == ["c1", "c2"]
    assert next(c for c in found if c.id == "c1").data["decisions"][0]["intent"] == "confirm"
    assert await store.conversations.for_appointments([]) == []


async def test_outbox_for_many_conversations_without_texts(store: Store) -> None:
    await store.outbox.add(_entry("c1:reminder", delivery_status="read"))
    await store.outbox.add(
        _entry("c1:reminder_2", kind="reminder_2", created_at=NOW + timedelta(hours=1))
    )
    await store.outbox.add(_entry("c2:reminder", conversation_id="c2"))
    await store.outbox.add(_entry("c9:reminder", conversation_id="c9"))
    found = await store.outbox.for_conversations(["c1", "c2"])
    assert [e.key for e in found] == ["c1:reminder", "c2:reminder", "c1:reminder_2"]
    assert found[0].delivery_status == "read"
    assert {e.text for e in found} == {""}  # the reports never read message bodies
    assert {tuple(e.variables) for e in found} == {()}


async def test_cancellations_for_many_appointments(store: Store) -> None:
    for n in (1, 2, 3):
        await store.cancellations.add(Cancellation(f"x{n}", f"a{n}", f"L{n}", NOW))
    await store.cancellations.acknowledge("x2", "failed", "Agenda bloqueada", NOW)
    found = {c.id: c for c in await store.cancellations.for_appointments(["a1", "a2", "a7"])}
    assert sorted(found) == ["x1", "x2"]
    assert (found["x2"].result, found["x2"].detail) == ("failed", "Agenda bloqueada")
