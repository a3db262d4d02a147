"""Patients' moves on their way to the legacy system through the robot, and their outcome.

The robot reads the held moves (by ``seq``), books each in the legacy system
and acknowledges it: ``applied`` books the slot, stops the old appointment's
reminders and tells the patient; ``failed`` offers other times (once). A move
not acknowledged before its hold ends expires: the slot is free again and the
patient is told. An ack and the expiry race on one conditional write, so only
one of them has an effect; a repeated ack is answered as the first was.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.core.errors import ConflictError, NotFoundError
from bot.core.events import Signal
from bot.core.ports import Reschedule, RescheduleState, Store

__all__ = ["HoldExpiredError", "RescheduleService"]

log = logging.getLogger(__name__)

# (conversation id, signal, slot it must still be holding) -> whether it moved
Notify = Callable[[str, Signal, str], Awaitable[bool]]

_SIGNALS = {
    RescheduleState.APPLIED: Signal("move_applied"),
    RescheduleState.FAILED: Signal("move_failed"),
    RescheduleState.EXPIRED: Signal("hold_expired"),
}


class HoldExpiredError(ConflictError):
    """The move's hold ended before the robot acknowledged it: the patient was told."""


@dataclass(frozen=True)
class RescheduleService:
    store: Store
    notify: Notify
    clock: Clock

    async def pending(self, after: int, limit: int) -> list[Reschedule]:
        """Held moves after the cursor ``after`` whose hold has not ended, oldest first."""
        return await self.store.reschedules.pending_after(after, self.clock(), limit)

    async def acknowledge(
        self, reschedule_id: str, result: RescheduleState, detail: str
    ) -> Reschedule:
        """Record the robot's result once; the same again changes nothing, anything else conflicts."""
        now = self.clock()
        settled = await self.store.reschedules.settle(reschedule_id, result, detail, now)
        stored = await self.store.reschedules.get(reschedule_id)
        if stored is None:
            raise NotFoundError(f"no reschedule {reschedule_id}")
        if stored.state is RescheduleState.HELD or stored.state is RescheduleState.EXPIRED:
            await self._expire(stored)  # its hold ended (the sweep may not have seen it yet)
            raise HoldExpiredError(
                f"the hold on this move ended at {stored.hold_until.isoformat()}; the patient "
                "was told. If the appointment was moved, undo it in the legacy system."
            )
        if stored.state is not result:
            raise ConflictError(f"this move was acknowledged as {stored.state.value} already")
        # Repeated on every matching ack: a crash after the write above is mended by the retry.
        if result is RescheduleState.APPLIED:
            await self.store.slots.book(stored.slot_id, stored.id)
            await self.store.appointments.set_reminder_due(stored.appointment_id, None)
        await self.notify(stored.conversation_id, _SIGNALS[result], stored.slot_id)
        if settled:
            log.info("move acknowledged", extra={"reschedule": stored.id, "result": result.value})
        return stored

    async def expire_holds(self, limit: int = 200) -> int:
        """Expire the held moves whose hold ended; tell each patient once. Returns how many."""
        expired = 0
        for move in await self.store.reschedules.ended_holds(self.clock(), limit):
            expired += await self._expire(move)
        return expired

    async def _expire(self, move: Reschedule) -> bool:
        now = self.clock()
        if move.state is RescheduleState.HELD and await self.store.reschedules.expire(move.id, now):
            log.info("a held move expired", extra={"reschedule": move.id})
            await self.store.slots.release(move.slot_id, move.id)
        elif move.state is not RescheduleState.EXPIRED and (
            (current := await self.store.reschedules.get(move.id)) is None
            or current.state is not RescheduleState.EXPIRED
        ):
            return False
        # Every time: a crash between the expiry and the message is mended by the next call.
        await self.store.slots.release(move.slot_id, move.id)
        await self.notify(move.conversation_id, _SIGNALS[RescheduleState.EXPIRED], move.slot_id)
        return True
