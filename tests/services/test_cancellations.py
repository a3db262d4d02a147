"""CancellationService over the in-memory store: acknowledgements, once and for all."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.adapters.memory import MemoryStore
from bot.core.errors import ConflictError, NotFoundError
from bot.core.model import AppointmentStatus
from bot.core.ports import Cancellation
from bot.services.cancellations import AckResult, CancellationService
from tests import builders

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def _setup() -> tuple[CancellationService, MemoryStore]:
    store = MemoryStore()
    appointment = builders.appointment(
        status=AppointmentStatus.CANCEL_REQUESTED, reminder_due_at=NOW
    )
    store.appointments.items["a1"] = appointment
    store.appointments.items["a2"] = replace(appointment, id="a2", external_id="LEG-2")
    await store.cancellations.add(Cancellation("k1", "a1", "LEG-1", NOW))
    await store.cancellations.add(Cancellation("k2", "a2", "LEG-2", NOW))
    return CancellationService(store, lambda: NOW), store


async def test_applied_cancels_the_appointment_once() -> None:
    service, store = await _setup()
    done = await service.acknowledge("k1", AckResult.APPLIED, "ok")
    assert done.result == "applied"
    appointment = store.appointments.items["a1"]
    assert appointment.status is AppointmentStatus.CANCELLED
    assert appointment.reminder_due_at is None
    again = await service.acknowledge("k1", AckResult.APPLIED, "twice")
    assert again.detail == "ok"
    with pytest.raises(ConflictError, match="applied"):
        await service.acknowledge("k1", AckResult.FAILED, "")
    assert [c.id for c in await service.pending(0, 10)] == ["k2"]


async def test_failed_is_listed_for_staff_and_leaves_the_appointment() -> None:
    service, store = await _setup()
    await service.acknowledge("k2", AckResult.FAILED, "agenda bloqueada")
    assert [c.id for c in await service.failed()] == ["k2"]
    assert store.appointments.items["a2"].status is AppointmentStatus.CANCEL_REQUESTED
    with pytest.raises(NotFoundError):
        await service.acknowledge("nope", AckResult.FAILED, "")
