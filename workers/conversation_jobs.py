"""The scheduler's conversation jobs: due reminders, timeouts, and stranded messages."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from bot.core.ports import Store
from bot.wiring import Services
from workers.scheduler import Job

__all__ = ["conversation_jobs"]

log = logging.getLogger(__name__)

_BATCH = 500
_REMINDER_TICK = timedelta(seconds=10)
# From a cancellation to the first waitlist offer: at most this, plus one pass.
WAITLIST_TICK = timedelta(seconds=5)
# A message whose turn has not completed this long after it arrived was stranded
# (its process died after answering Twilio): run the turn again.
_STRANDED_AFTER = timedelta(seconds=30)


def conversation_jobs(
    services: Services, store: Store, reload_flows: Job
) -> dict[str, tuple[timedelta, Job]]:
    """Every job with its interval; each is an idempotent scan, safe to run anywhere, any number of times."""
    conversations = services.conversations

    async def reminders() -> None:
        # A night's backlog at the 08:00 opening: keep scanning while batches start
        # something, within the tick, so one scheduler can keep a sender busy.
        deadline = time.monotonic() + _REMINDER_TICK.total_seconds() * 0.8
        while await services.reminders.send_due(_BATCH) and time.monotonic() < deadline:
            pass

    async def timeouts() -> None:
        for conversation in await store.conversations.timed_out(conversations.clock(), _BATCH):
            await conversations.time_out(conversation)

    async def held_moves() -> None:
        # A move the robot did not settle before its hold ended: free the slot, tell the patient.
        await services.reschedules.expire_holds(_BATCH)

    async def waitlist() -> None:
        # Cancelled times become offers to waitlisted patients; taken or re-instated close.
        await services.waitlist.tick()

    async def stranded() -> None:
        older_than = conversations.clock() - _STRANDED_AFTER
        for message in await store.inbound.unprocessed(older_than, _BATCH):
            await conversations.process(message)

    return {
        "reminders": (_REMINDER_TICK, reminders),
        "timeouts": (timedelta(seconds=5), timeouts),
        "stranded_messages": (timedelta(seconds=10), stranded),
        "held_moves": (timedelta(seconds=10), held_moves),
        "waitlist": (WAITLIST_TICK, waitlist),
        "flows_reload": (timedelta(seconds=2), reload_flows),
    }
