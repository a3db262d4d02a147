"""The robot's push: create or update appointments by the legacy system's ``external_id``.

Each appointment is written on its own (one bad item never blocks the others)
and the reminder side is told what changed. What the robot calls "scheduled"
must not overwrite a patient's answer (confirmed, cancel requested ...), unless
the start time moved: a new time is a new appointment for the patient, and
its reminder cycle starts again from "scheduled".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.core.model import Appointment, AppointmentStatus
from bot.core.ports import Store, UpsertOutcome

__all__ = ["PATIENT_ANSWERS", "AppointmentService", "Pushed"]

log = logging.getLogger(__name__)


class _NotStarted(Exception):
    """A push of a batch that had already failed: never started."""


# Statuses the conversation set from the patient's side: the robot's "scheduled" keeps them.
PATIENT_ANSWERS = frozenset(
    {
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.CANCEL_REQUESTED,
        AppointmentStatus.RESCHEDULE_REQUESTED,
        AppointmentStatus.NO_RESPONSE,
        AppointmentStatus.DELIVERY_FAILED,
        AppointmentStatus.OPTED_OUT,
    }
)
_PARALLEL = 8

OnChange = Callable[[Appointment | None, Appointment], Awaitable[None]]
Progress = Callable[[int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Pushed:
    outcome: UpsertOutcome
    appointment: Appointment  # as stored after the write


@dataclass(frozen=True)
class AppointmentService:
    store: Store
    # The reminder side: (before, after) for every created or updated appointment.
    on_change: OnChange
    clock: Clock

    async def push(self, appointment: Appointment) -> Pushed:
        """Write one appointment; ``appointment.id`` is used only if it is new."""
        before = await self.store.appointments.get_by_external_id(appointment.external_id)
        moved = before is not None and before.starts_at != appointment.starts_at
        keep = (
            frozenset()
            if appointment.status is AppointmentStatus.CANCELLED or moved
            else PATIENT_ANSWERS
        )
        outcome = await self.store.appointments.upsert(appointment, keep_status=keep)
        after = await self.store.appointments.get_by_external_id(appointment.external_id)
        assert after is not None  # just written; appointments are never deleted
        if outcome is not UpsertOutcome.UNCHANGED and not (
            before is None and after.status is AppointmentStatus.CANCELLED
        ):  # one created already cancelled: no conversation to stop, nobody to tell
            try:
                await self.on_change(before, after)
            except Exception as exc:
                # The appointment is stored; only its reminder bookkeeping is missing.
                log.error(
                    "reacting to a pushed appointment failed",
                    extra={"appointment": after.id, "error": type(exc).__name__},
                )
        return Pushed(outcome, after)

    async def push_many(
        self, appointments: Sequence[Appointment], progress: Progress | None = None
    ) -> list[Pushed]:
        """Push each (distinct ``external_id``s), a few at a time; results in input order.

        The first failure ends the batch: no push starts after it, the ones under way end
        (never cancelled: a database call cancelled mid-flight can leave the driver's
        client stuck, bot/web/in_flight.py says how), then the failure is raised."""
        limit = asyncio.Semaphore(_PARALLEL)
        done = 0
        failed = False

        async def one(appointment: Appointment) -> Pushed:
            nonlocal done, failed
            try:
                async with limit:
                    if failed:
                        raise _NotStarted
                    result = await self.push(appointment)
                done += 1
                if progress is not None and done % 50 == 0:
                    await progress(done)
            except Exception:
                failed = True
                raise
            return result

        outcomes = await asyncio.gather(*(one(a) for a in appointments), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(outcome, _NotStarted):
                raise outcome
        return [o for o in outcomes if isinstance(o, Pushed)]
