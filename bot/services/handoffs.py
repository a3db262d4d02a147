"""What staff do with a conversation the bot handed to a person: reply, close, give it back,
or record the patient's answer on their behalf.

A staff reply is free text, which WhatsApp only delivers inside the 24-hour
window opened by the patient's last message; outside it the reply is refused
here rather than failing at the provider (error 63016).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.console import Line
from bot.core.errors import ValidationError
from bot.core.machine import ACTIONS, CompiledFlow, Context
from bot.core.model import (
    Conversation,
    ConversationStatus,
    MessageKind,
    handed_back,
    settled,
)
from bot.core.ports import InboundMessage, OutboxEntry, Store, TaskQueue
from bot.services.effects import apply_effects

__all__ = [
    "OUTCOMES",
    "WINDOW",
    "OutsideWindowError",
    "close",
    "give_back",
    "record_outcome",
    "staff_reply",
    "unanswered",
]

WINDOW = timedelta(hours=24)


class OutsideWindowError(ValidationError):
    """The patient's last message is older than 24 hours: only a template may be sent."""

    code = "outside_window"


async def staff_reply(
    store: Store,
    queue: TaskQueue,
    conversation: Conversation,
    *,
    text: str,
    sender: str,
    last_inbound_at: datetime | None,
    now: datetime,
) -> str:
    """Queue a person's free-text answer to the patient; return its outbox key."""
    text = text.strip()
    if not text:
        raise ValidationError("the reply is empty")
    if last_inbound_at is None or now - last_inbound_at > WINDOW:
        raise OutsideWindowError("the patient's last message is older than 24 hours")
    entry = OutboxEntry(
        key=f"staff:{uuid.uuid4().hex}",
        conversation_id=conversation.id,
        phone=conversation.phone,
        sender=sender,
        kind=MessageKind.STAFF,
        text=text,
        created_at=now,
    )
    await store.outbox.add(entry)
    await queue.enqueue_send(entry.key)
    return entry.key


async def close(store: Store, conversation: Conversation, *, now: datetime) -> Conversation:
    """The person is done: the conversation ends (ConflictError if it changed meanwhile)."""
    done = settled(conversation, ConversationStatus.DONE, conversation.data, now)
    await store.conversations.save(done)
    return done


async def give_back(
    store: Store, flow: CompiledFlow, conversation: Conversation, *, now: datetime
) -> Conversation:
    """Back to the bot: it waits again for an answer to the reminder's menu.

    A hand-off ends in a terminal state, which takes no replies; the bot resumes
    in the flow's waiting state (nothing is resent).
    """
    data = handed_back(conversation.data)
    active = replace(
        conversation,
        status=ConversationStatus.ACTIVE,
        state=flow.waiting_state,
        timeout_at=None,
        data=data,
        version=conversation.version + 1,
        updated_at=now,
    )
    await store.conversations.save(active)
    return active


def unanswered(conversation: Conversation, lines: Sequence[Line]) -> list[InboundMessage]:
    """The patient's messages after the last one we sent (the hand-off notice or a staff
    reply): what the bot has not read yet when staff give the conversation back."""
    tail: list[Line] = []
    for line in sorted(lines, key=lambda item: item.at):
        tail = [*tail, line] if line.side == "patient" else []
    return [
        InboundMessage(sid=line.id, phone=conversation.phone, body=line.text, received_at=line.at)
        for line in tail
    ]


# What staff may record for the patient -> the flow action that does it, as if the patient
# had answered: a cancellation goes to the robot's feed like one the patient made.
OUTCOMES: Mapping[str, str] = {
    "confirmed": "confirm_appointment",
    "cancelled": "request_cancellation",
    "reschedule": "request_reschedule",
    "opted_out": "opt_out",
}


async def record_outcome(
    store: Store, conversation: Conversation, outcome: str, *, now: datetime
) -> Conversation:
    """Apply the patient's answer given to a person, and end the conversation (one transaction).

    ValidationError for an unknown outcome; ConflictError if the conversation changed meanwhile.
    """
    action = OUTCOMES.get(outcome)
    if action is None:
        raise ValidationError(f"unknown outcome {outcome!r}")
    data = handed_back(conversation.data)
    ctx = Context(
        appointment_ids=conversation.appointment_ids,
        state=conversation.state,
        data=data,
        allow_reconfirm=True,  # a person heard the patient: their latest word stands
        reason=f"staff recorded {outcome}",
    )
    effects = ACTIONS[action](ctx)
    data["outcome_by_staff"] = outcome
    done = settled(conversation, ConversationStatus.DONE, data, now)
    async with store.transaction() as tx:
        await tx.conversations.save(done)
        await apply_effects(tx, done, effects, "", now)
    return done
