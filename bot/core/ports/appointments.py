"""Storing appointments (upserted by the robot, read by reminders and reports)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bot.core.model import (
    Appointment,
    AppointmentStatus,
)

__all__ = ["AppointmentRepository", "UpsertOutcome"]


class UpsertOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class AppointmentRepository(Protocol):
    async def upsert(
        self, appointment: Appointment, *, keep_status: frozenset[AppointmentStatus] = frozenset()
    ) -> UpsertOutcome:
        """Create or update by ``external_id`` (the first id stays; ``reminder_due_at`` is not written).

        The stored status is left alone when it is one of ``keep_status`` (a patient's
        answer the robot must not overwrite); the check happens in the write itself.
        """
        ...

    async def get(self, appointment_id: str) -> Appointment | None: ...
    async def get_by_external_id(self, external_id: str) -> Appointment | None: ...
    async def set_status(self, appointment_id: str, status: AppointmentStatus) -> None: ...
    async def for_phone(self, phone: str) -> list[Appointment]: ...
    async def set_reminder_due(self, appointment_id: str, due_at: datetime | None) -> None: ...
    async def reminders_due(self, now: datetime, limit: int) -> list[Appointment]:
        """Appointments whose reminder is due (``reminder_due_at <= now``), soonest first."""
        ...

    async def between(
        self, start: datetime, end: datetime, unit: str | None = None
    ) -> list[Appointment]:
        """Appointments starting in ``[start, end)`` (of one unit, if given), by start time."""
        ...

    async def status_times(
        self, start: datetime, end: datetime, unit: str | None = None
    ) -> list[tuple[datetime, AppointmentStatus]]:
        """(starts_at, status) of the appointments in ``[start, end)``: the reports' trend."""
        ...
