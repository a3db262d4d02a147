"""Waitlist backfill: a time a cancellation frees is offered to the patients waiting for it.

A cancellation records an *opening* (a patient's, in the turn that cancels; the
clinic's, when the robot pushes the appointment cancelled). The scheduler's job
(:meth:`WaitlistService.tick`, every few seconds) then, for each opening:

    pending ──(waitlist on, far enough ahead)──> open ──(the robot books the held time)──> filled
       │                                           │
       └──(off, or too soon)──> skipped            └──(the clinic re-instates it)──> withdrawn

An open opening is a slot like the robot's (``cancelled:<external id>``), offered
in batches: ``batch_size`` patients who fit (same unit and specialty, the same
doctor if required, an appointment later than the freed time; never offered
first, then least lately), the next batch ``batch_every`` later if nobody took
it. Each offer is a conversation of the ``waitlist`` flow; its "sim" holds the
slot with the one conditional write every pick uses, so of any number of
patients exactly one wins, and the move goes to the robot's reschedules feed.
While the time is held no batch goes; if its hold ends before the robot books
it, the time is offered again, to patients not asked yet; if the robot fails the
move (the legacy system refused the time), the opening is withdrawn.
The others who said "sim" are told by their failed hold; those who had not
answered are closed quietly and told if they answer later. Every step is a
conditional write or keyed by a unique id: any number of schedulers may run it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config_waitlist import Waitlist, WaitlistPolicy
from bot.core.events import Signal
from bot.core.model import FREED_PREFIX, AppointmentStatus, CandidateQuery
from bot.core.ports import (
    Appointment,
    OfferState,
    Opening,
    OpeningState,
    RescheduleState,
    Slot,
    SlotState,
    Store,
    WaitlistOffer,
)
from bot.core.slot_choice import SlotChoice
from bot.core.waitlist import offer_data
from bot.services.conversations import ConversationService
from bot.services.waitlist_records import record_opening

__all__ = ["CANCELLED", "FLOW", "WaitlistService"]

log = logging.getLogger(__name__)

FLOW = "waitlist"
CANCELLED = frozenset({AppointmentStatus.CANCELLED, AppointmentStatus.CANCEL_REQUESTED})
_SIGNALS = {
    OfferState.TAKEN: Signal("offer_closed"),
    OfferState.WITHDRAWN: Signal("offer_withdrawn"),
    OfferState.EXPIRED: Signal("offer_expired"),
}
_BATCH = 200


@dataclass(frozen=True)
class WaitlistService:
    store: Store
    conversations: ConversationService
    config: Waitlist
    zones: Mapping[str, str]  # unit key -> IANA timezone
    min_lead: timedelta  # rescheduling.min_lead: no time offered closer than this
    clock: Clock

    def policy(self, unit: str, specialty: str) -> WaitlistPolicy:
        return self.config.policy(unit, specialty)

    async def tick(self) -> int:
        """One pass of the scheduler's job; returns how many offers it sent."""
        for opening in await self.store.waitlist.openings(OpeningState.PENDING, _BATCH):
            await self._open(opening)
        sent = 0
        for opening in await self.store.waitlist.openings(OpeningState.OPEN, _BATCH):
            if await self._settle(opening):
                continue
            sent += await self._send_batch(opening)
        await self._expire_offers()
        return sent

    # --- openings -----------------------------------------------------------------------

    async def _open(self, opening: Opening) -> None:
        """A recorded cancellation becomes an offered slot, or is skipped (off, or too soon)."""
        now = self.clock()
        appointment = await self.store.appointments.get(opening.appointment_id)
        if appointment is None or not self._offerable(appointment, now):
            skipped = replace(opening, state=OpeningState.SKIPPED, settled_at=now)
            await self.store.waitlist.replace_opening(
                skipped, state=OpeningState.PENDING, batches=opening.batches
            )
            return
        slot = await self._slot_for(appointment)
        opened = replace(
            opening,
            state=OpeningState.OPEN,
            slot_id=slot.id,
            unit=slot.unit,
            specialty=slot.specialty,
            doctor=slot.doctor,
            starts_at=slot.starts_at,
            next_batch_at=now,
        )
        if await self.store.waitlist.replace_opening(
            opened, state=OpeningState.PENDING, batches=opening.batches
        ):
            log.info("a cancelled time opened for the waitlist", extra={"opening": opening.id})

    def _offerable(self, appointment: Appointment, now: datetime) -> bool:
        return (
            appointment.unit in self.zones
            and appointment.status in CANCELLED
            and self.policy(appointment.unit, appointment.specialty).enabled
            and appointment.starts_at >= now + self.min_lead
        )

    async def _slot_for(self, appointment: Appointment) -> Slot:
        """The cancelled time as a slot (``duration_minutes`` 0: the cancelled appointment's own)."""
        local = appointment.starts_at.astimezone(ZoneInfo(self.zones[appointment.unit]))
        slot = Slot(
            id=f"wl-{appointment.id}",
            external_id=f"{FREED_PREFIX}{appointment.external_id}",
            unit=appointment.unit,
            doctor=appointment.doctor,
            specialty=appointment.specialty,
            starts_at=appointment.starts_at,
            duration_minutes=0,
            day=local.date().isoformat(),
        )
        await self.store.slots.upsert(slot)
        stored = await self.store.slots.get_by_external_id(slot.external_id)
        assert stored is not None  # just written; slots are never deleted
        return stored

    async def _settle(self, opening: Opening) -> bool:
        """Close an open opening whose time was booked or is no longer free.

        True when no batch may go now: it closed, or a patient holds its time.
        """
        now = self.clock()
        slot = await self.store.slots.get(opening.slot_id)
        held = (
            slot is not None
            and slot.held_by is not None
            and (
                slot.state is SlotState.BOOKED
                or (slot.held_until is not None and slot.held_until > now)
            )
        )
        move = await self.store.reschedules.get(slot.held_by) if slot and slot.held_by else None
        if slot is not None and move is not None and move.state is RescheduleState.FAILED:
            # The legacy system refused the time: it is not free there; offer it to nobody.
            await self.store.slots.withdraw(slot.id)
            return await self._close(opening, OpeningState.WITHDRAWN, move.conversation_id, now)
        if slot is not None and held and slot.held_by is not None:
            winner = move.conversation_id if move else ""
            if slot.state is SlotState.BOOKED:  # the robot booked it: refilled
                taken_at = move.requested_at if move else now
                return await self._close(opening, OpeningState.FILLED, winner, taken_at)
            # Held, on its way to the robot: the others' offers close, no new batch goes;
            # if the robot fails the move (or its hold ends), the time is offered again.
            await self._settle_offers(opening, winner, OfferState.TAKEN)
            return True
        appointment = await self.store.appointments.get(opening.appointment_id)
        reinstated = appointment is None or appointment.status not in CANCELLED
        if slot is None or slot.state is SlotState.WITHDRAWN or reinstated:
            if slot is not None:
                await self.store.slots.withdraw(slot.id)
            return await self._close(opening, OpeningState.WITHDRAWN, "", now)
        if opening.starts_at is not None and opening.starts_at < now + self.min_lead:
            await self.store.slots.withdraw(opening.slot_id)  # too close now: nobody can come
            return await self._close(opening, OpeningState.SKIPPED, "", now)
        return False

    async def _close(
        self, opening: Opening, state: OpeningState, winner: str, at: datetime
    ) -> bool:
        offers = await self.store.waitlist.offers_for(opening.id)
        accepted = next((o for o in offers if o.conversation_id == winner), None)
        closed = replace(
            opening, state=state, settled_at=at, offer_id=accepted.id if accepted else ""
        )
        if not await self.store.waitlist.replace_opening(
            closed, state=OpeningState.OPEN, batches=opening.batches
        ):
            return True  # another scheduler moved it first
        log.info("a waitlist opening closed", extra={"opening": opening.id, "state": state.value})
        result = OfferState.TAKEN if state is OpeningState.FILLED else OfferState.WITHDRAWN
        await self._settle_offers(opening, winner, result)
        return True

    async def _settle_offers(self, opening: Opening, winner: str, others: OfferState) -> None:
        """The winner's offer is accepted; every other open one closes as ``others``."""
        for offer in await self.store.waitlist.offers_for(opening.id):
            if offer.state is not OfferState.OPEN:
                continue
            if winner and offer.conversation_id == winner:
                await self.store.waitlist.settle_offer(offer.id, OfferState.ACCEPTED, self.clock())
            else:
                await self._settle_offer(offer, others)

    async def _settle_offer(self, offer: WaitlistOffer, state: OfferState) -> None:
        if await self.store.waitlist.settle_offer(offer.id, state, self.clock()):
            # Quiet: the patient is told only if they answer (the flow's ``later``).
            await self.conversations.signal(offer.conversation_id, _SIGNALS[state])

    # --- offers -------------------------------------------------------------------------

    async def _send_batch(self, opening: Opening) -> int:
        """Offer the opening to the next batch of patients who fit, if its time has come."""
        now = self.clock()
        if opening.starts_at is None or (
            opening.next_batch_at is not None and opening.next_batch_at > now
        ):
            return 0
        policy = self.policy(opening.unit, opening.specialty)
        offered = {o.entry_id for o in await self.store.waitlist.offers_for(opening.id)}
        fits = CandidateQuery(
            opening.unit,
            opening.specialty,
            opening.starts_at,
            doctor=opening.doctor if policy.same_doctor else None,
            exclude=frozenset(offered | {opening.appointment_id}),
        )
        entries = await self.store.waitlist.candidates(fits, policy.batch_size)
        if not entries:
            return 0  # nobody (yet): a patient who joins later is offered it at a later tick
        claimed = replace(
            opening, batches=opening.batches + 1, next_batch_at=now + policy.batch_every
        )
        if not await self.store.waitlist.replace_opening(
            claimed, state=OpeningState.OPEN, batches=opening.batches
        ):
            return 0  # another scheduler sends this batch
        sent = 0
        for entry in entries:
            appointment = await self.store.appointments.get(entry.appointment_id)
            if appointment is None or appointment.status in CANCELLED:
                await self.store.waitlist.leave(entry.id)  # nothing left to move earlier
                continue
            sent += await self._offer(opening, appointment, entry.id, now)
        log.info("waitlist batch sent", extra={"opening": opening.id, "offers": sent})
        return sent

    async def _offer(
        self, opening: Opening, appointment: Appointment, entry_id: str, now: datetime
    ) -> int:
        assert opening.starts_at is not None  # an open opening has its time
        offer = WaitlistOffer(
            id=f"{opening.id}.{entry_id}",
            opening_id=opening.id,
            entry_id=entry_id,
            conversation_id=f"wl-offer-{opening.id}.{entry_id}",
            offered_at=now,
        )
        if not await self.store.waitlist.add_offer(offer):
            return 0
        await self.store.waitlist.mark_offered(entry_id, now)
        zone = ZoneInfo(self.zones[opening.unit])
        choice = SlotChoice(opening.slot_id, opening.starts_at.astimezone(zone), opening.doctor)
        await self.conversations.start(
            offer.conversation_id, FLOW, [appointment], data=offer_data(choice)
        )
        return 1

    async def _expire_offers(self) -> None:
        """Close the offers nobody answered within ``offer_valid_for`` (their unit's)."""
        now = self.clock()
        shortest = min(
            [
                self.config.offer_valid_for,
                *(r.offer_valid_for for r in self.config.rules if r.offer_valid_for),
            ]
        )
        for offer in await self.store.waitlist.open_offers_since(now - shortest, _BATCH):
            opening = await self.store.waitlist.get_opening(offer.opening_id)
            policy = self.policy(opening.unit, opening.specialty) if opening else None
            if policy is None or offer.offered_at + policy.offer_valid_for <= now:
                await self._settle_offer(offer, OfferState.EXPIRED)

    # --- the robot's pushes -------------------------------------------------------------

    async def withdraw(self, appointment_id: str) -> bool:
        """The clinic re-instated a cancelled appointment: its time is not free; close the offers.

        A patient who already held the time keeps the move (the robot will answer it).
        """
        opening = await self.store.waitlist.get_opening(appointment_id)
        if opening is None:
            return False
        now = self.clock()
        if opening.state is OpeningState.PENDING:
            withdrawn = replace(opening, state=OpeningState.WITHDRAWN, settled_at=now)
            return await self.store.waitlist.replace_opening(
                withdrawn, state=OpeningState.PENDING, batches=opening.batches
            )
        if opening.state is not OpeningState.OPEN:
            return False
        await self.store.slots.withdraw(opening.slot_id)
        return await self._settle(opening)

    async def appointment_changed(self, before: Appointment | None, after: Appointment) -> None:
        """React to the robot's push (after the reminder side, for a created or updated one).

        The clinic cancelled it: its time is an opening. The clinic re-instated it: the
        opening is withdrawn. It moved: its waitlist entry waits for times before the
        new one. Booked far ahead (``far_after``), or moved: the patient is asked to join.
        """
        now = self.clock()
        was_cancelled = before is not None and before.status in CANCELLED
        if after.status is AppointmentStatus.CANCELLED:
            if not was_cancelled:
                await record_opening(self.store, after, now)
            return
        if was_cancelled and after.status not in CANCELLED:
            await self.withdraw(after.id)
        moved = before is not None and before.starts_at != after.starts_at
        if moved:
            await self.store.waitlist.move_entry(after.id, after.starts_at)
        if before is None or moved:
            await self._ask_to_join(after, now, moved=moved)

    async def _ask_to_join(self, appointment: Appointment, now: datetime, *, moved: bool) -> None:
        policy = self.policy(appointment.unit, appointment.specialty)
        far = appointment.starts_at - now >= policy.far_after
        if (
            not policy.enabled
            or appointment.unit not in self.zones
            or appointment.status is not AppointmentStatus.SCHEDULED
            or not (far or moved)
            or appointment.starts_at < now + self.min_lead
        ):
            return
        entry = await self.store.waitlist.entry(appointment.id)
        if entry is not None and entry.active:
            return  # waiting already (moved earlier by the waitlist itself, say)
        # One question per appointment time: a repeated push asks nothing new.
        conversation_id = f"wl-join-{appointment.id}-{int(appointment.starts_at.timestamp())}"
        await self.conversations.start(conversation_id, FLOW, [appointment])
