"""A patient's conversation: where it stands in its flow, at a pinned flow version."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from bot.core.model.conversation_data import ConversationData, erased_data

__all__ = ["Conversation", "ConversationStatus", "erased", "handed_to_staff", "settled"]


class ConversationStatus(StrEnum):
    ACTIVE = "active"
    HANDED_OFF = "handed_off"  # a person took over
    DONE = "done"  # reached a terminal state


@dataclass(frozen=True, slots=True)
class Conversation:
    """A patient's conversation: where it stands in its flow, at a pinned flow version.

    ``version`` increases by one for every accepted step; storage only accepts a
    write whose ``version`` is the stored one plus one (optimistic concurrency).
    """

    id: str
    phone: str
    flow: str
    flow_version: str
    state: str
    appointment_ids: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    version: int = 0
    status: ConversationStatus = ConversationStatus.ACTIVE
    timeout_at: datetime | None = None
    data: ConversationData = field(default_factory=ConversationData)


def handed_to_staff(conversation: Conversation, now: datetime) -> Conversation:
    """``conversation`` handed to a person from outside the flow (a message the bot cannot
    read as a patient's): it waits for staff in the console like a flow's hand-off."""
    data = conversation.data.copy()
    data["handed_off"] = True
    return settled(conversation, ConversationStatus.HANDED_OFF, data, now)


def settled(
    conversation: Conversation, status: ConversationStatus, data: ConversationData, now: datetime
) -> Conversation:
    """``conversation`` taken out of the bot's hands from outside its flow (handed to a person,
    or ended): in ``status``, with no timeout to wait for, as its next version."""
    return replace(
        conversation,
        status=status,
        timeout_at=None,
        data=data,
        version=conversation.version + 1,
        updated_at=now,
    )


def erased(conversation: Conversation, subject: str, now: datetime) -> Conversation:
    """``conversation`` after its patient's erasure (LGPD), as its next version: ended,
    ``subject`` (a keyed hash) for the number, only :func:`erased_data` kept."""
    ended = settled(conversation, ConversationStatus.DONE, erased_data(conversation.data), now)
    return replace(ended, phone=subject)
