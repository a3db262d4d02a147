"""Three schedulers over a simulated day: exactly one reminder per appointment and version."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from bot.adapters.mongo import MongoStore
from bot.core.model import Appointment
from bot.settings import Settings
from tests.builders import FakeClock
from tests.services.test_reminders import MONDAY_6AM, _appointment, _services


@pytest.mark.timeout(600)
async def test_three_schedulers_over_a_day_of_5000_appointments(
    settings: Settings, mongo_store: MongoStore, redis: Redis
) -> None:
    clock = FakeClock(MONDAY_6AM)
    schedulers = [_services(settings, mongo_store, redis, clock) for _ in range(3)]
    rng = random.Random(5)
    tomorrow = MONDAY_6AM + timedelta(days=1)
    appointments = [
        _appointment(
            n,
            tomorrow + timedelta(minutes=rng.randrange(0, 14 * 60, 15)),
            rng.choice(["centro", "paulista"]),
        )
        for n in range(5000)
    ]
    await mongo_store.db["appointments"].insert_many(
        [{"_id": a.id, **_doc(a)} for a in appointments]
    )
    for appointment in appointments:
        await schedulers[0].reminders.schedule(appointment)
    # A simulated day and a half, every 30 minutes, three schedulers at each tick.
    while clock.now < tomorrow + timedelta(hours=14):
        await asyncio.gather(*(s.reminders.send_due(limit=2000) for s in schedulers))
        clock.now += timedelta(minutes=30)
    reminders = (
        await mongo_store.db["outbox"].find({"kind": "reminder"}, {"conversation_id": 1}).to_list()
    )
    conversations = (
        await mongo_store.db["conversations"]
        .find({}, {"appointment_ids": 1, "created_at": 1})
        .to_list()
    )
    per_appointment = Counter(a for c in conversations for a in c["appointment_ids"])
    assert len(per_appointment) == 5000
    assert set(per_appointment.values()) == {1}
    assert len(reminders) == len(conversations)
    starts = {a.id: a.starts_at for a in appointments}
    assert all(c["created_at"] < starts[c["appointment_ids"][0]] for c in conversations)


def _doc(appointment: Appointment) -> dict[str, object]:
    return {
        "external_id": appointment.external_id,
        "patient_name": appointment.patient_name,
        "phone": appointment.phone,
        "starts_at": appointment.starts_at,
        "doctor": appointment.doctor,
        "unit": appointment.unit,
        "specialty": "",
        "status": "scheduled",
    }
