"""AppointmentService over the in-memory store: what a push writes and whom it tells."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.memory import MemoryStore
from bot.core.model import Appointment, AppointmentStatus
from bot.core.ports import UpsertOutcome
from bot.services.appointments import AppointmentService
from tests.builders import appointment

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _appointment(n: int = 1, **changes: object) -> Appointment:
    new = {"id": f"new-{n}", "external_id": f"LEG-{n}", "starts_at": NOW + timedelta(days=2)}
    return appointment(**{**new, **changes})


class Changes:
    def __init__(self, fail: bool = False) -> None:
        self.seen: list[tuple[Appointment | None, Appointment]] = []
        self.fail = fail

    async def __call__(self, before: Appointment | None, after: Appointment) -> None:
        self.seen.append((before, after))
        if self.fail:
            raise RuntimeError("reminder side down")


def _service(changes: Changes) -> tuple[AppointmentService, MemoryStore]:
    store = MemoryStore()
    return AppointmentService(store, changes, lambda: NOW), store


async def test_created_updated_unchanged_and_who_is_told() -> None:
    changes = Changes()
    service, _ = _service(changes)
    first = await service.push(_appointment())
    assert first.outcome is UpsertOutcome.CREATED
    assert changes.seen == [(None, first.appointment)]
    assert (await service.push(_appointment(id="other"))).outcome is UpsertOutcome.UNCHANGED
    assert len(changes.seen) == 1
    moved = await service.push(_appointment(starts_at=NOW + timedelta(days=3)))
    assert moved.outcome is UpsertOutcome.UPDATED
    assert moved.appointment.id == "new-1"
    assert changes.seen[-1] == (first.appointment, moved.appointment)


async def test_scheduled_keeps_the_patients_answer_unless_the_time_moved() -> None:
    service, store = _service(Changes())
    await service.push(_appointment())
    for answer in (AppointmentStatus.CONFIRMED, AppointmentStatus.CANCEL_REQUESTED):
        await store.appointments.set_status("new-1", answer)
        kept = await service.push(_appointment(doctor=f"Dr. {answer}"))
        assert kept.outcome is UpsertOutcome.UPDATED
        assert kept.appointment.status is answer
    moved = await service.push(_appointment(starts_at=NOW + timedelta(days=5)))
    assert moved.appointment.status is AppointmentStatus.SCHEDULED
    await store.appointments.set_status("new-1", AppointmentStatus.CONFIRMED)
    cancelled = await service.push(
        _appointment(starts_at=NOW + timedelta(days=5), status=AppointmentStatus.CANCELLED)
    )
    assert cancelled.appointment.status is AppointmentStatus.CANCELLED


async def test_created_already_cancelled_tells_nobody() -> None:
    changes = Changes()
    service, _ = _service(changes)
    pushed = await service.push(_appointment(status=AppointmentStatus.CANCELLED))
    assert pushed.outcome is UpsertOutcome.CREATED
    assert changes.seen == []


async def test_a_failing_reaction_keeps_the_write_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    service, store = _service(Changes(fail=True))
    with caplog.at_level(logging.ERROR):
        pushed = await service.push(_appointment())
    assert pushed.outcome is UpsertOutcome.CREATED
    assert await store.appointments.get("new-1") is not None
    assert "reacting to a pushed appointment failed" in caplog.text


async def test_push_many_keeps_input_order_and_reports_progress() -> None:
    service, _ = _service(Changes())
    progress: list[int] = []

    async def record(done: int) -> None:
        progress.append(done)

    results = await service.push_many([_appointment(n) for n in range(120)], record)
    assert [r.appointment.external_id for r in results] == [f"LEG-{n}" for n in range(120)]
    assert progress == [50, 100]


class _SlowChanges(Changes):
    """Reacting takes a moment (a database round trip); counts the reactions cut mid-way."""

    def __init__(self) -> None:
        super().__init__()
        self.cut = 0

    async def __call__(self, before: Appointment | None, after: Appointment) -> None:
        self.seen.append((before, after))
        n = int(after.external_id.removeprefix("LEG-"))
        try:
            await asyncio.sleep(0.002 * (n % 5 + 1))  # unequal: some are mid-way at a failure
        except asyncio.CancelledError:
            self.cut += 1
            raise


async def test_a_failing_batch_lets_the_pushes_under_way_end_and_starts_no_more() -> None:
    changes = _SlowChanges()
    service, store = _service(changes)

    async def fails_at_fifty(done: int) -> None:
        raise RuntimeError("progress side down")

    with pytest.raises(RuntimeError, match="progress side down"):
        await service.push_many([_appointment(n) for n in range(200)], fails_at_fifty)
    await asyncio.sleep(0.05)  # a push cancelled by the failure would be cut by now
    # None cut mid-way: a database call cancelled mid-flight can leave its client stuck.
    assert changes.cut == 0
    started = len(changes.seen)
    assert 50 <= started < 200  # the ones under way when it failed, and no more
    stored = [n for n in range(200) if await store.appointments.get(f"new-{n}") is not None]
    assert len(stored) == started
