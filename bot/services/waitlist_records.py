"""The waitlist's writes that ride inside a conversation turn's transaction.

A patient who joins, and a patient's cancellation (the time it frees): both are
written with the turn, so neither is lost if the process dies after the reply.
The scheduler's waitlist job (:mod:`bot.services.waitlist`) does the rest.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.ports import Appointment, Opening, Store, WaitlistEntry

__all__ = ["join_waitlist", "record_opening"]


async def join_waitlist(tx: Store, appointment_id: str, now: datetime) -> bool:
    """Put the appointment on the waitlist (as of its current time); False if it waits already."""
    appointment = await tx.appointments.get(appointment_id)
    if appointment is None:
        return False
    return await tx.waitlist.join(
        WaitlistEntry(
            id=appointment.id,
            appointment_id=appointment.id,
            unit=appointment.unit,
            specialty=appointment.specialty,
            doctor=appointment.doctor,
            starts_at=appointment.starts_at,
            joined_at=now,
        )
    )


async def record_opening(tx: Store, appointment: Appointment, now: datetime) -> bool:
    """A cancellation frees the appointment's time: record it once for the waitlist job."""
    return await tx.waitlist.add_opening(
        Opening(id=appointment.id, appointment_id=appointment.id, cancelled_at=now)
    )
