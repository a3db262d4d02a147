"""Reminders: when each appointment's reminder is due, and sending the due ones.

The scan is idempotent: a reminder is claimed by creating its conversation,
whose id is unique per (appointment, reminder kind, appointment version — the
start time). Three schedulers scanning at once create it once; the losers see
the duplicate and only clear the due mark.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.model import Appointment, AppointmentStatus
from bot.core.ports import Store
from bot.core.reminders import SendingWindow, first_reminder_at, may_send
from bot.core.render import rendered, variables_for
from bot.services.conversations import ConversationService

__all__ = ["ReminderPolicy", "ReminderService", "reminder_id"]

log = logging.getLogger(__name__)

_PATIENT_KNOWS_CANCELLED = frozenset(
    {AppointmentStatus.CANCELLED, AppointmentStatus.CANCEL_REQUESTED}
)


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    offsets: tuple[timedelta, ...]
    min_lead: timedelta
    windows: Mapping[str, SendingWindow]  # unit key -> its sending hours
    flow: str
    notify_on_clinic_cancel: bool
    clinic_cancel_notice: str  # the name of a message in ``flow``


def reminder_id(appointment: Appointment) -> str:
    """The claim: one reminder conversation per appointment and start time."""
    return f"reminder:{appointment.id}:{int(appointment.starts_at.timestamp())}"


@dataclass
class ReminderService:
    store: Store
    conversations: ConversationService
    policy: ReminderPolicy

    async def appointment_changed(self, before: Appointment | None, after: Appointment) -> None:
        """React to the robot's push (call after a created or updated upsert)."""
        if after.status is AppointmentStatus.CANCELLED:
            await self.store.appointments.set_reminder_due(after.id, None)
            await self._stop_conversations(after, "the clinic cancelled the appointment")
            now = self.conversations.clock()
            # The patient knows already when they cancelled it themselves.
            already_cancelled = before is not None and before.status in _PATIENT_KNOWS_CANCELLED
            if (
                self.policy.notify_on_clinic_cancel
                and after.starts_at > now
                and not already_cancelled
            ):
                await self._notify_cancelled(after)
            return
        reinstated = before is not None and before.status is AppointmentStatus.CANCELLED
        if before is None or before.starts_at != after.starts_at or reinstated:
            if before is not None:
                await self._stop_conversations(before, "the appointment moved")
            await self.schedule(after)

    async def schedule(self, appointment: Appointment) -> None:
        """Mark when this appointment's reminder is due (or that none will go)."""
        now = self.conversations.clock()
        if appointment.starts_at - now < self.policy.min_lead:
            await self.store.appointments.set_reminder_due(appointment.id, None)
            return
        due = first_reminder_at(appointment.starts_at, self.policy.offsets, now)
        await self.store.appointments.set_reminder_due(appointment.id, due)

    async def send_due(self, limit: int = 500) -> int:
        """Start the reminder conversation of every due appointment the hours allow; count them."""
        now = self.conversations.clock()
        started = 0
        groups: dict[tuple[str, str, str], list[Appointment]] = defaultdict(list)
        for appointment in await self.store.appointments.reminders_due(now, limit):
            window = self.policy.windows.get(appointment.unit)
            if window is None or appointment.status is not AppointmentStatus.SCHEDULED:
                await self.store.appointments.set_reminder_due(appointment.id, None)
                continue
            if appointment.starts_at - now < self.policy.min_lead:
                await self.store.appointments.set_reminder_due(appointment.id, None)  # too late now
                continue
            if not may_send(appointment.starts_at, now, window, self.policy.min_lead):
                continue  # outside the sending hours: it stays due
            day = appointment.starts_at.astimezone(ZoneInfo(window.timezone)).date().isoformat()
            groups[(appointment.phone, appointment.unit, day)].append(appointment)
        for group in groups.values():
            # One patient, one unit, one day: one reminder covering every appointment.
            group.sort(key=lambda a: (a.starts_at, a.id))
            claim = reminder_id(group[0])
            # The lock only spares twin schedulers the work; the conversation's unique id
            # is what guarantees one reminder.
            async with self.conversations.locks.hold(claim, ttl_ms=60_000) as mine:
                if not mine:
                    continue
                if await self.conversations.start(claim, self.policy.flow, group):
                    started += 1
                for appointment in group:
                    await self.store.appointments.set_reminder_due(appointment.id, None)
        if started:
            log.info("reminders started", extra={"count": started})
        return started

    async def _stop_conversations(self, appointment: Appointment, reason: str) -> bool:
        stopped = False
        for conversation in await self.store.conversations.for_appointment(appointment.id):
            stopped |= await self.conversations.stop(conversation, reason)
        return stopped

    async def _notify_cancelled(self, appointment: Appointment) -> None:
        """The flow's notice, as its template: the patient's window is likely closed."""
        message = self.conversations.flows.current(self.policy.flow).spec.messages.get(
            self.policy.clinic_cancel_notice
        )
        if message is None:
            log.error(
                "clinic-cancel notice not sent: no such message in the flow",
                extra={"flow": self.policy.flow, "message": self.policy.clinic_cancel_notice},
            )
            return
        unit = self.conversations.units[appointment.unit].unit
        notice = rendered(message, variables_for([appointment], unit))
        key = f"clinic_cancel:{appointment.id}:{int(appointment.starts_at.timestamp())}"
        if await self.conversations.send_notice(key, appointment, notice):
            log.info(
                "patient told of the clinic's cancellation", extra={"appointment": appointment.id}
            )
