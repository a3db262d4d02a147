"""Reminder scheduling: due times, sending hours, clinic changes, and three schedulers at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis.asyncio import Redis

from bot.adapters.flow_files import FlowDirectory
from bot.adapters.locks import RedisLocks
from bot.adapters.memory import MemoryQueue
from bot.adapters.mongo import MongoStore
from bot.core.model import Appointment, AppointmentStatus
from bot.settings import Settings
from bot.wiring import Services, create_services
from tests.builders import FakeClock

ROOT = Path(__file__).resolve().parents[2]
# Monday 2026-11-30 06:00 in São Paulo (UTC-3).
MONDAY_6AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _services(settings: Settings, store: MongoStore, redis: Redis, clock: FakeClock) -> Services:
    flows = FlowDirectory(ROOT / "flows")
    flows.reload()
    return create_services(
        settings,
        store=store,
        flows=flows,
        queue=MemoryQueue(),
        locks=RedisLocks(redis),
        clock=clock,
    )


def _appointment(n: int, starts_at: datetime, unit: str = "centro") -> Appointment:
    return Appointment(
        id=f"a{n}",
        external_id=f"LEG-{n}",
        patient_name=f"Paciente {n}",
        phone=f"+55119{n:08d}",
        starts_at=starts_at,
        doctor="Dr. João",
        unit=unit,
    )


async def _push(services: Services, store: MongoStore, appointment: Appointment) -> None:
    before = await store.appointments.get_by_external_id(appointment.external_id)
    await store.appointments.upsert(appointment)
    after = await store.appointments.get_by_external_id(appointment.external_id)
    assert after is not None
    await services.reminders.appointment_changed(before, after)


async def test_reminder_waits_for_sending_hours_and_goes_once(
    settings: Settings, mongo_store: MongoStore, redis: Redis
) -> None:
    clock = FakeClock(MONDAY_6AM)
    services = _services(settings, mongo_store, redis, clock)
    # Wednesday 07:00 local: 48 h before is Monday 07:00, before the 08:00 opening.
    appointment = _appointment(1, MONDAY_6AM + timedelta(hours=49))
    await _push(services, mongo_store, appointment)
    stored = await mongo_store.appointments.get("a1")
    assert stored is not None
    assert stored.reminder_due_at == appointment.starts_at - timedelta(hours=48)

    clock.now = MONDAY_6AM + timedelta(hours=1, minutes=30)  # 07:30: due, but closed
    assert await services.reminders.send_due() == 0
    clock.now = MONDAY_6AM + timedelta(hours=2)  # 08:00: opens
    assert await services.reminders.send_due() == 1
    assert await services.reminders.send_due() == 0
    outbox = await mongo_store.db["outbox"].find({"kind": "reminder"}).to_list()
    assert len(outbox) == 1
    entry = await mongo_store.outbox.get(outbox[0]["_id"])
    assert entry is not None
    assert "Paciente" in entry.text


async def test_moved_appointment_starts_a_new_cycle_and_cancelled_one_stops(
    settings: Settings, mongo_store: MongoStore, redis: Redis
) -> None:
    clock = FakeClock(MONDAY_6AM + timedelta(hours=4))  # 10:00 local
    services = _services(settings, mongo_store, redis, clock)
    first = _appointment(2, clock.now + timedelta(hours=20))
    await _push(services, mongo_store, first)
    assert await services.reminders.send_due() == 1

    moved = _appointment(2, clock.now + timedelta(hours=30))
    await _push(services, mongo_store, moved)
    old = await mongo_store.conversations.for_appointment("a2")
    assert [c.status.value for c in old] == ["done"]
    clock.now += timedelta(hours=6)  # 24 h before the new time
    assert await services.reminders.send_due() == 1
    conversations = await mongo_store.conversations.for_appointment("a2")
    assert len(conversations) == 2
    assert conversations[0].status.value == "active"

    cancelled = _appointment(2, moved.starts_at)
    await _push(services, mongo_store, replace(cancelled, status=AppointmentStatus.CANCELLED))
    conversations = await mongo_store.conversations.for_appointment("a2")
    assert all(c.status.value == "done" for c in conversations)
    notices = await mongo_store.db["outbox"].find({"kind": "notice"}).to_list()
    assert len(notices) == 1
    notice = await mongo_store.outbox.get(notices[0]["_id"])
    assert notice is not None
    assert "desmarcar" in notice.text
    # The robot pushing the cancellation again tells the patient nothing new.
    await _push(services, mongo_store, replace(cancelled, status=AppointmentStatus.CANCELLED))
    assert await mongo_store.db["outbox"].count_documents({"kind": "notice"}) == 1


async def test_no_reminder_too_close_or_after_the_start(
    settings: Settings, mongo_store: MongoStore, redis: Redis
) -> None:
    clock = FakeClock(MONDAY_6AM + timedelta(hours=4))
    services = _services(settings, mongo_store, redis, clock)
    await _push(services, mongo_store, _appointment(3, clock.now + timedelta(hours=1)))
    await _push(services, mongo_store, _appointment(4, clock.now + timedelta(hours=5)))
    clock.now += timedelta(hours=4)  # a scheduler that was down: appointment 4 is now 1 h away
    assert await services.reminders.send_due() == 0
    assert await mongo_store.db["conversations"].count_documents({}) == 0


async def test_clinic_cancelling_what_the_patient_cancelled_tells_nobody(
    settings: Settings, mongo_store: MongoStore, redis: Redis
) -> None:
    clock = FakeClock(MONDAY_6AM + timedelta(hours=4))
    services = _services(settings, mongo_store, redis, clock)
    appointment = _appointment(5, clock.now + timedelta(hours=30))
    await _push(services, mongo_store, appointment)
    await mongo_store.appointments.set_status("a5", AppointmentStatus.CANCEL_REQUESTED)
    await _push(services, mongo_store, replace(appointment, status=AppointmentStatus.CANCELLED))
    assert await mongo_store.db["outbox"].count_documents({"kind": "notice"}) == 0
