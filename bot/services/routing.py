"""Which conversation a patient's message acts on, and which messages are decided together.

A reply or a button tap carries the sid of the message it answers (Twilio's
``OriginalRepliedMessageSid``). When that names one of our messages to this
patient, the message's conversation takes the reply, whatever else is running:
a patient with reminders for two days who taps "Desmarcar" on the older one
cancels that appointment, not the newer one (the button ids are the same in
both). Without it, the number's newest active conversation takes it (see
``ConversationRepository.active_for_phone``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.clock import Clock
from bot.core.errors import ConflictError
from bot.core.model import ConversationStatus, handed_to_staff
from bot.core.phones import variants
from bot.core.ports import InboundMessage, Store

__all__ = ["Batch", "answered_conversation", "batches", "leave_for_a_person"]

log = logging.getLogger(__name__)

Batch = tuple[str | None, list[InboundMessage]]  # (conversation id or None: the default one)


async def answered_conversation(store: Store, message: InboundMessage) -> str | None:
    """The conversation of our message that ``message`` replies to; None without one."""
    if not message.replied_to:
        return None
    entry = await store.outbox.by_provider_sid(message.replied_to)
    if entry is None or entry.conversation_id is None:
        return None  # not ours, or a message outside any conversation (an opt-out's answer)
    if message.phone and entry.phone not in variants(message.phone):
        return None  # a message to someone else: never act on another patient's conversation
    return entry.conversation_id


def batches(
    pending: Sequence[InboundMessage], targets: Sequence[str | None], window: timedelta
) -> list[Batch]:
    """Consecutive messages for the same conversation, close together in time, are one burst.

    A burst is decided as one reply; messages answering different conversations
    are never mixed in one, so each conversation decides only on its own answers.
    """
    found: list[Batch] = []
    for message, target in zip(pending, targets, strict=True):
        if found:
            last_target, group = found[-1]
            if last_target == target and message.received_at - group[0].received_at <= window:
                group.append(message)
                continue
        found.append((target, [message]))
    return found


_RETRIES = 30


async def leave_for_a_person(store: Store, message: InboundMessage, clock: Clock) -> None:
    """A sender that is not a phone number: no bot decision; a person reads it.

    The conversation it answers, if it names one of ours, is handed to staff
    (it waits in the console's queue); the message stays stored with its raw id.
    """
    target = await answered_conversation(store, message)
    for _attempt in range(_RETRIES):
        conversation = await store.conversations.get(target) if target else None
        now = clock()
        try:
            async with store.transaction() as tx:
                if conversation is not None and conversation.status is ConversationStatus.ACTIVE:
                    await tx.conversations.save(handed_to_staff(conversation, now))
                await tx.inbound.mark_processed(message.sid, now)
        except ConflictError:
            continue  # the conversation moved meanwhile: look again
        log.info(
            "message from a WhatsApp id that is not a phone number: left for a person",
            extra={"sid": message.sid, "conversation": conversation.id if conversation else None},
        )
        return
    raise ConflictError(f"conversation for message {message.sid} kept changing")
