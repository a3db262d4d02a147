"""Writing a step's effects inside the turn's transaction.

Each effect becomes a write in the same transaction as the conversation's new
state: outbox entries (unique keys: a replayed step sends nothing twice),
appointment statuses, cancellations for the robot, suppressions.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import assert_never

from bot.core.effects import (
    Effect,
    HandOff,
    HoldSlot,
    JoinWaitlist,
    OptOut,
    RecordAnswer,
    RequestCancellation,
    SendMessage,
    SetAppointmentStatus,
)
from bot.core.model import Conversation, is_reminder
from bot.core.outbox import OPT_OUT_KIND
from bot.core.ports import Cancellation, OutboxEntry, Store
from bot.services.waitlist_records import join_waitlist, record_opening

__all__ = ["apply_effects"]

log = logging.getLogger(__name__)


async def apply_effects(
    tx: Store,
    conversation: Conversation,
    effects: Sequence[Effect],
    sender: str,
    now: datetime,
) -> list[str]:
    """Write each effect inside the turn's transaction; return the outbox keys to send."""
    keys: list[str] = []
    # The one message allowed past the suppression list is the opt-out's own confirmation.
    opting_out = any(isinstance(effect, OptOut) for effect in effects)
    # A reminder must never arrive after the appointment started.
    reminding = any(isinstance(e, SendMessage) and is_reminder(e.kind) for e in effects)
    expires_at = await _earliest_start(tx, conversation) if reminding else None
    for effect in effects:
        match effect:
            case SendMessage():
                entry = OutboxEntry(
                    key=effect.key,
                    conversation_id=conversation.id,
                    phone=conversation.phone,
                    sender=sender,
                    kind=OPT_OUT_KIND if opting_out else effect.kind,
                    text=effect.text,
                    created_at=now,
                    content_sid=effect.content_sid,
                    variables=dict(effect.variables),
                    buttons=effect.buttons,
                    choices=effect.choices,
                    expires_at=expires_at if is_reminder(effect.kind) else None,
                )
                if await tx.outbox.add(entry):
                    keys.append(entry.key)
            case SetAppointmentStatus():
                await tx.appointments.set_status(effect.appointment_id, effect.status)
            case RequestCancellation():
                await _request_cancellation(tx, effect.appointment_id, now)
            case OptOut():
                # One entry, in this transaction (a failed write fails the turn, which is
                # run again): every reader matches it under both forms of the number.
                await tx.suppressions.add(conversation.phone, "patient opted out", now)
            case HandOff():
                log.info(
                    "handed off to staff",
                    extra={"conversation": conversation.id, "reason": effect.reason},
                )
            case RecordAnswer():
                pass  # kept in the conversation's data, saved with it in this transaction
            case HoldSlot():
                pass  # held after the turn commits (bot.services.rescheduling)
            case JoinWaitlist():
                await join_waitlist(tx, effect.appointment_id, now)
            case _:
                assert_never(effect)
    return keys


async def _request_cancellation(tx: Store, appointment_id: str, now: datetime) -> None:
    appointment = await tx.appointments.get(appointment_id)
    if appointment is not None:
        await tx.cancellations.add(
            Cancellation(
                id=uuid.uuid4().hex,
                appointment_id=appointment.id,
                external_id=appointment.external_id,
                requested_at=now,
            )
        )
        await record_opening(tx, appointment, now)  # the freed time, for the waitlist


async def _earliest_start(store: Store, conversation: Conversation) -> datetime | None:
    starts = []
    for appointment_id in conversation.appointment_ids:
        appointment = await store.appointments.get(appointment_id)
        if appointment is not None:
            starts.append(appointment.starts_at)
    return min(starts, default=None)
