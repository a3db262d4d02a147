"""Demo data for the embedded default: two units, a few doctors, appointments for tomorrow.

Idempotent: every appointment is upserted by its ``DEMO-…`` external id, so a
second call changes nothing. ``digitaly run`` calls it only on an empty database.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.core.model import Appointment
from bot.core.ports import Store, UpsertOutcome
from bot.settings import Settings

__all__ = ["DEMO_PREFIX", "demo_appointments", "seed_demo"]

DEMO_PREFIX = "DEMO-"

# (patient, phone, unit index, doctor, specialty, local time tomorrow)
_PEOPLE = (
    (
        "Maria Aparecida Souza",
        "+5511991110001",
        0,
        "Dra. Cláudia Guimarães",
        "Clínica geral",
        time(9),
    ),
    ("João Pedro Oliveira", "+5511991110002", 0, "Dr. Ricardo Nunes", "Cardiologia", time(10, 30)),
    ("Ana Beatriz Lima", "+5511991110003", 1, "Dra. Fernanda Rocha", "Dermatologia", time(14)),
    (
        "Carlos Eduardo Santos",
        "+5511991110004",
        1,
        "Dr. Marcelo Tavares",
        "Ortopedia",
        time(16, 30),
    ),
    (
        "Luciana Ferreira Costa",
        "+5511991110005",
        0,
        "Dra. Cláudia Guimarães",
        "Clínica geral",
        time(11),
    ),
)


def demo_appointments(settings: Settings, now: datetime) -> list[Appointment]:
    """Tomorrow's demo appointments, spread over the first two units."""
    units = settings.units[:2]
    if not units:
        return []
    found = []
    for n, (name, phone, index, doctor, specialty, at) in enumerate(_PEOPLE, start=1):
        unit = units[index % len(units)]
        zone = ZoneInfo(unit.timezone)
        day = now.astimezone(zone).date() + timedelta(days=1)
        found.append(
            Appointment(
                id=f"demo-{n}",
                external_id=f"{DEMO_PREFIX}{n}",
                patient_name=name,
                phone=phone,
                starts_at=datetime.combine(day, at, zone),
                doctor=doctor,
                unit=unit.key,
                specialty=specialty,
            )
        )
    return found


async def seed_demo(store: Store, settings: Settings, clock: Clock) -> int:
    """Upsert the demo appointments; return how many were created."""
    created = 0
    for appointment in demo_appointments(settings, clock()):
        if await store.appointments.upsert(appointment) is UpsertOutcome.CREATED:
            created += 1
    return created
