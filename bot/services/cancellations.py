"""Cancellations patients asked for, on their way to the legacy system through the robot.

The robot reads the unacknowledged ones (oldest first, by ``seq``), applies
them, and acknowledges each: ``applied`` marks the appointment cancelled;
``failed`` leaves it for the staff (their list and the reports).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from bot.clock import Clock
from bot.core.errors import ConflictError, NotFoundError
from bot.core.model import AppointmentStatus
from bot.core.ports import Cancellation, Store

__all__ = ["AckResult", "CancellationService"]

log = logging.getLogger(__name__)


class AckResult(StrEnum):
    APPLIED = "applied"  # cancelled in the legacy system
    FAILED = "failed"  # the robot could not: a person must


@dataclass(frozen=True)
class CancellationService:
    store: Store
    clock: Clock

    async def pending(self, after: int, limit: int) -> list[Cancellation]:
        """Unacknowledged cancellations after the cursor ``after``, oldest first."""
        return await self.store.cancellations.pending_after(after, limit)

    async def acknowledge(
        self, cancellation_id: str, result: AckResult, detail: str
    ) -> Cancellation:
        """Record the robot's result. The same result again changes nothing; a different one conflicts."""
        now = self.clock()
        stored = await self.store.cancellations.acknowledge(
            cancellation_id, result.value, detail, now
        )
        if stored is None:
            raise NotFoundError(f"no cancellation {cancellation_id}")
        if stored.result != result.value:
            raise ConflictError(
                f"cancellation {cancellation_id} was acknowledged as {stored.result} already"
            )
        if result is AckResult.APPLIED:
            # Repeated on every applied ack: a crash after the ack above is mended by the retry.
            appointment = await self.store.appointments.get(stored.appointment_id)
            if appointment is not None and appointment.status is AppointmentStatus.CANCEL_REQUESTED:
                await self.store.appointments.set_status(
                    appointment.id, AppointmentStatus.CANCELLED
                )
                await self.store.appointments.set_reminder_due(appointment.id, None)
        elif stored.acked_at == now:
            log.warning(
                "the robot could not apply a cancellation: staff must",
                extra={"cancellation": stored.id, "appointment": stored.appointment_id},
            )
        return stored

    async def failed(self, limit: int = 200) -> list[Cancellation]:
        """The ones the robot could not apply (for the staff's list and the reports)."""
        return await self.store.cancellations.failed(limit)
