"""The storage contract of slots and moves, against MongoStore (real wire server) and memory."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from bot.core.model import SlotQuery
from bot.core.ports import Reschedule, RescheduleState, SlotState, Store, UpsertOutcome
from tests.builders import NOW, slot


def _move(n: int = 1, **changes: object) -> Reschedule:
    base = Reschedule(
        id=f"r{n}",
        appointment_id="a1",
        external_id="LEG-1",
        slot_id="s1",
        slot_external_id="VAGA-1",
        conversation_id="c1",
        requested_at=NOW,
        hold_until=NOW + timedelta(hours=2),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def test_slot_upsert_is_idempotent_and_keeps_the_first_id(store: Store) -> None:
    assert await store.slots.upsert(slot()) == UpsertOutcome.CREATED
    assert await store.slots.upsert(slot()) == UpsertOutcome.UNCHANGED
    moved = slot(id="other", duration_minutes=45)
    assert await store.slots.upsert(moved) == UpsertOutcome.UPDATED
    stored = await store.slots.get_by_external_id("VAGA-1")
    assert stored is not None
    assert (stored.id, stored.duration_minutes, stored.state) == ("s1", 45, SlotState.OPEN)


async def test_full_push_withdraws_the_missing_and_a_repush_reopens(store: Store) -> None:
    for n in (1, 2, 3):
        await store.slots.upsert(slot(n))
    await store.slots.upsert(slot(4, day="2026-12-04"))
    await store.slots.upsert(slot(5, unit="paulista"))
    assert await store.slots.withdraw_missing("centro", "2026-12-03", {"VAGA-2"}) == 2
    states = {s: (await store.slots.get(s)).state for s in ("s1", "s2", "s3", "s4", "s5")}  # type: ignore[union-attr]
    assert states == {
        "s1": SlotState.WITHDRAWN,
        "s2": SlotState.OPEN,
        "s3": SlotState.WITHDRAWN,
        "s4": SlotState.OPEN,  # another day
        "s5": SlotState.OPEN,  # another unit
    }
    assert await store.slots.upsert(slot(1)) == UpsertOutcome.UPDATED
    assert (await store.slots.get("s1")).state is SlotState.OPEN  # type: ignore[union-attr]


async def test_open_slots_nearest_first_not_held_not_too_soon(store: Store) -> None:
    for n in (1, 2, 3, 4):
        await store.slots.upsert(slot(n, doctor="Dr. Paulo" if n == 2 else "Dra. Cláudia"))
    await store.slots.upsert(slot(5, specialty="ortopedia"))
    await store.slots.hold("s3", "r9", NOW + timedelta(hours=1), NOW)
    earliest = NOW + timedelta(days=2, hours=1, minutes=30)  # s1 is too soon
    found = await store.slots.open_from(SlotQuery("centro", "cardiologia", earliest), NOW, 10)
    assert [s.id for s in found] == ["s2", "s4"]
    mine_only = SlotQuery("centro", "cardiologia", NOW, doctor="Dra. Cláudia")
    mine = await store.slots.open_from(mine_only, NOW, 10)
    assert [s.id for s in mine] == ["s1", "s4"]
    later = NOW + timedelta(hours=1)  # the hold on s3 has ended
    found = await store.slots.open_from(SlotQuery("centro", "cardiologia", earliest), later, 2)
    assert [s.id for s in found] == ["s2", "s3"]


async def test_one_holder_at_a_time_until_the_hold_ends(store: Store) -> None:
    await store.slots.upsert(slot())
    until = NOW + timedelta(minutes=30)
    assert await store.slots.hold("s1", "r1", until, NOW)
    assert not await store.slots.hold("s1", "r2", until, NOW)
    assert not await store.slots.release("s1", "r2")
    assert await store.slots.hold("s1", "r2", until + timedelta(hours=1), until)  # r1's ended
    assert not await store.slots.book("s1", "r1")
    assert await store.slots.book("s1", "r2")
    stored = await store.slots.get("s1")
    assert stored is not None
    assert (stored.state, stored.held_by) == (SlotState.BOOKED, "r2")
    assert not await store.slots.hold("s1", "r3", until, until + timedelta(days=1))
    assert not await store.slots.hold("missing", "r3", until, NOW)


async def test_a_withdrawn_slot_cannot_be_held(store: Store) -> None:
    await store.slots.upsert(slot())
    await store.slots.withdraw_missing("centro", "2026-12-03", ())
    assert not await store.slots.hold("s1", "r1", NOW + timedelta(minutes=30), NOW)


async def test_twenty_concurrent_holds_exactly_one_wins(store: Store) -> None:
    await store.slots.upsert(slot())
    until = NOW + timedelta(minutes=30)
    won = await asyncio.gather(*(store.slots.hold("s1", f"r{n}", until, NOW) for n in range(20)))
    assert sum(won) == 1
    stored = await store.slots.get("s1")
    assert stored is not None
    assert stored.held_by == f"r{won.index(True)}"


async def test_moves_in_sequence_read_while_held_and_in_time(store: Store) -> None:
    first = await store.reschedules.add(_move(1))
    second = await store.reschedules.add(_move(2, hold_until=NOW + timedelta(minutes=10)))
    assert 0 < first.seq < second.seq
    assert [r.id for r in await store.reschedules.pending_after(0, NOW, 10)] == ["r1", "r2"]
    assert [r.id for r in await store.reschedules.pending_after(first.seq, NOW, 10)] == ["r2"]
    later = NOW + timedelta(minutes=10)
    assert [r.id for r in await store.reschedules.pending_after(0, later, 10)] == ["r1"]
    assert [r.id for r in await store.reschedules.ended_holds(later, 10)] == ["r2"]


async def test_a_move_is_settled_once_by_ack_or_expiry(store: Store) -> None:
    await store.reschedules.add(_move(1))
    await store.reschedules.add(_move(2))
    at = NOW + timedelta(minutes=5)
    assert await store.reschedules.settle("r1", RescheduleState.APPLIED, "", at)
    assert not await store.reschedules.settle("r1", RescheduleState.FAILED, "x", at)
    assert not await store.reschedules.expire("r1", NOW + timedelta(hours=3))
    stored = await store.reschedules.get("r1")
    assert stored is not None
    assert (stored.state, stored.acked_at) == (RescheduleState.APPLIED, at)
    late = NOW + timedelta(hours=2)
    assert not await store.reschedules.expire("r2", at)  # still in time
    assert not await store.reschedules.settle("r2", RescheduleState.APPLIED, "", late)
    assert await store.reschedules.expire("r2", late)
    assert not await store.reschedules.expire("r2", late)
    assert (await store.reschedules.get("r2")).state is RescheduleState.EXPIRED  # type: ignore[union-attr]
    assert await store.reschedules.get("missing") is None


async def test_the_moves_away_from_given_appointments_in_order(store: Store) -> None:
    await store.reschedules.add(_move(1))
    await store.reschedules.add(_move(2, appointment_id="a2"))
    await store.reschedules.add(_move(3))
    await store.reschedules.settle("r3", RescheduleState.FAILED, "ocupado", NOW)
    found = await store.reschedules.for_appointments(["a1", "a9"])
    assert [(m.id, m.state) for m in found] == [
        ("r1", RescheduleState.HELD),
        ("r3", RescheduleState.FAILED),
    ]
    assert await store.reschedules.for_appointments([]) == []
