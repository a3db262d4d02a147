"""The storage contract of the waitlist, against MongoStore (real wire server) and memory."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from bot.core.model import FREED_PREFIX, CandidateQuery
from bot.core.ports import (
    OfferState,
    Opening,
    OpeningState,
    Slot,
    SlotState,
    Store,
    WaitlistEntry,
    WaitlistOffer,
)
from tests.builders import NOW, slot


def _entry(n: int, **changes: object) -> WaitlistEntry:
    base = WaitlistEntry(
        id=f"a{n}",
        appointment_id=f"a{n}",
        unit="centro",
        specialty="cardiologia",
        doctor="Dra. Cláudia Guimarães",
        starts_at=NOW + timedelta(days=20 + n),
        joined_at=NOW + timedelta(minutes=n),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _freed_time(n: int, external_id: str, **changes: object) -> Slot:
    """A time in three days, of no fixed length (what a cancellation frees)."""
    starts_at = NOW + timedelta(days=3)
    return slot(
        n,
        external_id=external_id,
        starts_at=starts_at,
        duration_minutes=0,
        day="2026-12-04",
        **changes,
    )


def _offer(n: int, opening: str = "x1", **changes: object) -> WaitlistOffer:
    base = WaitlistOffer(
        id=f"{opening}.a{n}",
        opening_id=opening,
        entry_id=f"a{n}",
        conversation_id=f"wl-{opening}.a{n}",
        offered_at=NOW + timedelta(minutes=n),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def test_join_once_leave_and_join_again_keeps_the_last_offer(store: Store) -> None:
    assert await store.waitlist.join(_entry(1))
    assert not await store.waitlist.join(_entry(1))  # already waiting
    await store.waitlist.mark_offered("a1", NOW)
    assert await store.waitlist.leave("a1")
    assert not await store.waitlist.leave("a1")
    assert await store.waitlist.join(_entry(1))
    entry = await store.waitlist.entry("a1")
    assert entry is not None
    assert (entry.active, entry.last_offered_at) == (True, NOW)
    later = NOW + timedelta(days=40)
    assert await store.waitlist.move_entry("a1", later)
    assert (await store.waitlist.entry("a1")).starts_at == later  # type: ignore[union-attr]
    assert not await store.waitlist.move_entry("nobody", later)


async def test_candidates_fit_the_time_and_the_least_lately_offered_go_first(store: Store) -> None:
    for n in (1, 2, 3, 4):
        await store.waitlist.join(_entry(n))
    await store.waitlist.join(_entry(5, unit="paulista"))
    await store.waitlist.join(_entry(6, specialty="dermatologia"))
    await store.waitlist.join(_entry(7, doctor="Dr. Paulo Lima"))
    await store.waitlist.join(_entry(8, starts_at=NOW + timedelta(days=2)))  # already sooner
    await store.waitlist.join(_entry(9))
    await store.waitlist.leave("a9")
    await store.waitlist.mark_offered("a1", NOW + timedelta(hours=2))
    await store.waitlist.mark_offered("a2", NOW + timedelta(hours=1))
    freed = NOW + timedelta(days=3)
    fits = CandidateQuery("centro", "cardiologia", freed)
    found = await store.waitlist.candidates(fits, 10)
    assert [e.id for e in found] == ["a3", "a4", "a7", "a2", "a1"]
    mine = replace(fits, doctor="Dra. Cláudia Guimarães", exclude=frozenset({"a3"}))
    assert [e.id for e in await store.waitlist.candidates(mine, 10)] == ["a4", "a2", "a1"]
    assert len(await store.waitlist.candidates(fits, 2)) == 2


async def test_an_opening_is_recorded_once_and_changes_by_one_conditional_write(
    store: Store,
) -> None:
    opening = Opening(id="x1", appointment_id="x1", cancelled_at=NOW)
    assert await store.waitlist.add_opening(opening)
    assert not await store.waitlist.add_opening(replace(opening, cancelled_at=NOW + timedelta(1)))
    assert [o.id for o in await store.waitlist.openings(OpeningState.PENDING, 10)] == ["x1"]
    opened = replace(opening, state=OpeningState.OPEN, slot_id="s1", starts_at=NOW)
    assert await store.waitlist.replace_opening(opened, state=OpeningState.PENDING, batches=0)
    assert not await store.waitlist.replace_opening(opened, state=OpeningState.PENDING, batches=0)
    batch = replace(opened, batches=1, next_batch_at=NOW + timedelta(minutes=10))
    results = await asyncio.gather(
        *(
            store.waitlist.replace_opening(batch, state=OpeningState.OPEN, batches=0)
            for _ in range(5)
        )
    )
    assert results.count(True) == 1  # of five schedulers, one sends the batch
    filled = replace(batch, state=OpeningState.FILLED, settled_at=NOW + timedelta(hours=1))
    assert await store.waitlist.replace_opening(filled, state=OpeningState.OPEN, batches=1)
    stored = await store.waitlist.get_opening("x1")
    assert stored == filled
    day = await store.waitlist.filled_between(NOW, NOW + timedelta(days=1))
    assert [o.id for o in day] == ["x1"]
    assert await store.waitlist.filled_between(NOW + timedelta(days=1), NOW + timedelta(2)) == []


async def test_offers_once_per_patient_and_the_first_settlement_wins(store: Store) -> None:
    assert await store.waitlist.add_offer(_offer(1))
    assert not await store.waitlist.add_offer(_offer(1))
    await store.waitlist.add_offer(_offer(2))
    await store.waitlist.add_offer(_offer(3, opening="x2"))
    assert [o.id for o in await store.waitlist.offers_for("x1")] == ["x1.a1", "x1.a2"]
    results = await asyncio.gather(
        store.waitlist.settle_offer("x1.a1", OfferState.ACCEPTED, NOW),
        store.waitlist.settle_offer("x1.a1", OfferState.WITHDRAWN, NOW),
    )
    assert results.count(True) == 1
    first = await store.waitlist.get_offer("x1.a1")
    assert first is not None
    assert first.state in (OfferState.ACCEPTED, OfferState.WITHDRAWN)
    stale = await store.waitlist.open_offers_since(NOW + timedelta(minutes=2), 10)
    assert [o.id for o in stale] == ["x1.a2"]
    assert [o.id for o in await store.waitlist.recent_offers(2)] == ["x2.a3", "x1.a2"]


async def test_one_slot_withdrawn_refuses_new_holds_and_keeps_an_old_one(store: Store) -> None:
    for n in (1, 2):
        await store.slots.upsert(_freed_time(n, f"cancelled:LEG-{n}"))
    assert await store.slots.hold("s2", "r2", NOW + timedelta(hours=2), NOW)
    assert await store.slots.withdraw("s1")
    assert not await store.slots.withdraw("s1")
    assert not await store.slots.hold("s1", "r1", NOW + timedelta(hours=2), NOW)
    assert await store.slots.withdraw("s2")
    held = await store.slots.get("s2")
    assert held is not None
    assert (held.state, held.held_by) == (SlotState.WITHDRAWN, "r2")
    assert not await store.slots.withdraw("nothing")


async def test_a_full_push_never_withdraws_a_time_a_cancellation_freed(store: Store) -> None:
    for external_id in ("VAGA-1", f"{FREED_PREFIX}LEG-1"):
        await store.slots.upsert(_freed_time(1, external_id, id=external_id))
    assert await store.slots.withdraw_missing("centro", "2026-12-04", set()) == 1
    freed = await store.slots.get(f"{FREED_PREFIX}LEG-1")
    assert freed is not None
    assert freed.state is SlotState.OPEN
