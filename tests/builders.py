"""Builders for the records tests need, and the one fake clock.

Each builder returns a plausible record (patient data is the tests' sentinel
names, so the log checks can see a leak); pass keyword arguments to change
any field.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.model import Appointment, Conversation, OutboxEntry, Slot

__all__ = [
    "NOW",
    "PHONE",
    "SENDER",
    "FakeClock",
    "appointment",
    "conversation",
    "outbox_entry",
    "patient",
    "slot",
]

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PHONE = "+5511987654321"
SENDER = "whatsapp:+5511930000001"


class FakeClock:
    """A clock the test moves by hand: ``clock.now = ...`` or ``clock.advance(...)``."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> datetime:
        self.now += by
        return self.now


def appointment(**changes: Any) -> Appointment:
    """Appointment a1 (LEG-1) at the Centro unit, tomorrow at noon."""
    base = Appointment(
        id="a1",
        external_id="LEG-1",
        patient_name="Conceição Peçanha",
        phone=PHONE,
        starts_at=NOW + timedelta(days=1),
        doctor="Dra. Cláudia Guimarães",
        unit="centro",
    )
    return replace(base, **changes)


def patient(n: int, **changes: Any) -> Appointment:
    """Patient ``n``'s appointment (a{n}, LEG-{n}, Maria {n} da Silva, +55119 and n in 8 digits)."""
    numbered = {
        "id": f"a{n}",
        "external_id": f"LEG-{n}",
        "patient_name": f"Maria {n} da Silva",
        "phone": f"+55119{n:08d}",
    }
    return appointment(**numbered | changes)


def conversation(**changes: Any) -> Conversation:
    """Conversation c1 about a1, waiting for an answer."""
    base = Conversation(
        id="c1",
        phone=PHONE,
        flow="confirmation",
        flow_version="v1",
        state="waiting",
        appointment_ids=("a1",),
        created_at=NOW,
        updated_at=NOW,
    )
    return replace(base, **changes)


def outbox_entry(key: str = "c1:reminder", **changes: Any) -> OutboxEntry:
    """c1's reminder, a template with one button, not sent yet."""
    base = OutboxEntry(
        key=key,
        conversation_id="c1",
        phone=PHONE,
        sender=SENDER,
        kind="reminder",
        text="Olá",
        created_at=NOW,
        content_sid="HX1",
        variables={"1": "Conceição"},
        buttons=(("confirm", "Confirmar"),),
    )
    return replace(base, **changes)


def slot(n: int = 1, **changes: Any) -> Slot:
    """Free time s{n} (VAGA-{n}) with Dra. Cláudia in cardiology, n hours into the day after tomorrow."""
    base = Slot(
        id=f"s{n}",
        external_id=f"VAGA-{n}",
        unit="centro",
        doctor="Dra. Cláudia Guimarães",
        specialty="cardiologia",
        starts_at=NOW + timedelta(days=2, hours=n),
        duration_minutes=30,
        day="2026-12-03",
    )
    return replace(base, **changes)
