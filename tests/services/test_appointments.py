"""AppointmentService over the in-memory store: what a push writes and whom it tells."""

from __future__ import annotations

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
