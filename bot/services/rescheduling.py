"""Free times for a patient who asked to reschedule, and holding the one they picked.

Offers: the appointment's unit and specialty, its doctor's times first, then
the other doctors', nearest first, never sooner than ``min_lead``. A pick is
held by one conditional write on the slot (exactly one of any number of
patients wins it) and becomes a move (a ``Reschedule``) in the robot's feed.
The outcome goes back to the conversation as a signal.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.core.events import Signal
from bot.core.model import Conversation, SlotQuery
from bot.core.ports import Appointment, Reschedule, Slot, Store
from bot.core.slot_choice import SlotChoice

__all__ = ["HELD", "TAKEN", "ReschedulePolicy", "SlotOffers"]

log = logging.getLogger(__name__)

HELD = Signal("slot_held")
TAKEN = Signal("slot_taken")


@dataclass(frozen=True, slots=True)
class ReschedulePolicy:
    offer_count: int = 3
    min_lead: timedelta = timedelta(hours=24)
    hold_for: timedelta = timedelta(hours=2)


@dataclass(frozen=True)
class SlotOffers:
    store: Store
    zones: Mapping[str, str]  # unit key -> IANA timezone
    policy: ReschedulePolicy
    clock: Clock

    async def _appointment(self, conversation: Conversation) -> Appointment | None:
        for appointment_id in conversation.appointment_ids:
            appointment = await self.store.appointments.get(appointment_id)
            if appointment is not None:
                return appointment
        return None

    async def free_times(self, conversation: Conversation) -> tuple[SlotChoice, ...]:
        """The times to offer this conversation's patient now, best first (at most N)."""
        appointment = await self._appointment(conversation)
        if appointment is None or appointment.unit not in self.zones:
            return ()
        now = self.clock()
        count = self.policy.offer_count
        earliest = now + self.policy.min_lead
        wanted = SlotQuery(appointment.unit, appointment.specialty, earliest, appointment.doctor)
        found: list[Slot] = await self.store.slots.open_from(wanted, now, count)
        if len(found) < count:  # then the specialty's other doctors
            more = await self.store.slots.open_from(replace(wanted, doctor=None), now, count * 2)
            seen = {slot.id for slot in found}
            found += [slot for slot in more if slot.id not in seen][: count - len(found)]
            found.sort(key=lambda slot: (slot.doctor != appointment.doctor, slot.starts_at))
        zone = ZoneInfo(self.zones[appointment.unit])
        return tuple(SlotChoice(s.id, s.starts_at.astimezone(zone), s.doctor) for s in found)

    async def hold(self, conversation: Conversation, slot_id: str) -> Signal:
        """Hold ``slot_id`` for the patient and record the move: ``HELD``, or ``TAKEN`` if lost."""
        appointment = await self._appointment(conversation)
        slot = await self.store.slots.get(slot_id)
        if appointment is None or slot is None:
            return TAKEN
        now = self.clock()
        until = now + self.policy.hold_for
        move_id = uuid.uuid4().hex
        if not await self.store.slots.hold(slot_id, move_id, until, now):
            log.info("a picked slot was taken first", extra={"conversation": conversation.id})
            return TAKEN
        try:
            await self.store.reschedules.add(
                Reschedule(
                    id=move_id,
                    appointment_id=appointment.id,
                    external_id=appointment.external_id,
                    slot_id=slot.id,
                    slot_external_id=slot.external_id,
                    conversation_id=conversation.id,
                    requested_at=now,
                    hold_until=until,
                )
            )
        except BaseException:
            await self.store.slots.release(slot_id, move_id)  # no move: nobody may keep it
            raise
        log.info("slot held", extra={"conversation": conversation.id, "reschedule": move_id})
        return HELD
