"""Appointments in a dict (the in-memory twin of the Mongo adapter)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.core.model import Appointment, AppointmentStatus
from bot.core.ports import (
    UpsertOutcome,
)

__all__ = ["MemoryAppointments"]


class MemoryAppointments:
    def __init__(self) -> None:
        self.items: dict[str, Appointment] = {}

    async def upsert(
        self, appointment: Appointment, *, keep_status: frozenset[AppointmentStatus] = frozenset()
    ) -> UpsertOutcome:
        current = await self.get_by_external_id(appointment.external_id)
        if current is None:
            self.items[appointment.id] = replace(appointment, reminder_due_at=None)
            return UpsertOutcome.CREATED
        updated = replace(appointment, id=current.id, reminder_due_at=current.reminder_due_at)
        if current.status in keep_status:
            updated = replace(updated, status=current.status)
        if updated == current:
            return UpsertOutcome.UNCHANGED
        self.items[current.id] = updated
        return UpsertOutcome.UPDATED

    async def get(self, appointment_id: str) -> Appointment | None:
        return self.items.get(appointment_id)

    async def get_by_external_id(self, external_id: str) -> Appointment | None:
        return next((a for a in self.items.values() if a.external_id == external_id), None)

    async def set_status(self, appointment_id: str, status: AppointmentStatus) -> None:
        if appointment_id in self.items:
            self.items[appointment_id] = replace(self.items[appointment_id], status=status)

    async def for_phone(self, phone: str) -> list[Appointment]:
        found = [a for a in self.items.values() if a.phone == phone]
        return sorted(found, key=lambda a: a.starts_at)

    async def set_reminder_due(self, appointment_id: str, due_at: datetime | None) -> None:
        if appointment_id in self.items:
            self.items[appointment_id] = replace(self.items[appointment_id], reminder_due_at=due_at)

    async def reminders_due(self, now: datetime, limit: int) -> list[Appointment]:
        found = [a for a in self.items.values() if a.reminder_due_at and a.reminder_due_at <= now]
        return sorted(found, key=lambda a: a.reminder_due_at or now)[:limit]

    async def between(
        self, start: datetime, end: datetime, unit: str | None = None
    ) -> list[Appointment]:
        found = [
            a
            for a in self.items.values()
            if start <= a.starts_at < end and (unit is None or a.unit == unit)
        ]
        return sorted(found, key=lambda a: a.starts_at)

    async def status_times(
        self, start: datetime, end: datetime, unit: str | None = None
    ) -> list[tuple[datetime, AppointmentStatus]]:
        return [(a.starts_at, a.status) for a in await self.between(start, end, unit)]
