"""The shape of ``Conversation.data``: the flow-local bookkeeping a conversation carries.

The engine and the flow's actions write it (as a plain JSON-able dict, so a
stored conversation reads back unchanged); everyone else reads and adjusts it
through the helpers here, so each key is spelled in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, TypedDict

from bot.core.model.conversations import Conversation, ConversationStatus

__all__ = [
    "ConversationData",
    "DecisionRecord",
    "decisions_of",
    "handed_back",
    "handed_to_staff",
    "stopped_data",
    "with_decisions",
]


class DecisionRecord(TypedDict, total=False):
    """How one answer was understood (the newest few are kept)."""

    at: str  # ISO time of the answer
    state: str  # the state it was answered in
    intent: str
    rule: str  # which rule matched (non_text, button, word ...)
    reason: str


class ConversationData(TypedDict, total=False):
    """Every key the engine, the flow's actions and the services use."""

    vars: dict[str, str]  # template variables, fixed when the conversation starts
    sent: dict[str, int]  # message kind -> times sent
    asks: int  # how often the bot asked again without understanding
    decisions: list[DecisionRecord]
    last_reply_at: str
    confirmed: bool
    cancelled: bool
    reschedule: bool
    handed_off: bool
    opted_out: bool
    answers: dict[str, str]  # survey state -> the answer's intent
    stopped: str  # why staff stopped it


def decisions_of(data: Mapping[str, Any]) -> list[DecisionRecord]:
    """The recorded decisions, oldest first (none when the patient never answered)."""
    found: list[DecisionRecord] = data.get("decisions") or []
    return found


def handed_back(data: Mapping[str, Any]) -> dict[str, Any]:
    """The data of a conversation staff hands back to the bot: it asks afresh."""
    kept = {key: value for key, value in data.items() if key != "handed_off"}
    kept["asks"] = 0
    return kept


def handed_to_staff(conversation: Conversation, now: datetime) -> Conversation:
    """``conversation`` handed to a person from outside the flow (a message the bot cannot
    read as a patient's): it waits for staff in the console like a flow's hand-off."""
    return replace(
        conversation,
        status=ConversationStatus.HANDED_OFF,
        timeout_at=None,
        data={**conversation.data, "handed_off": True},
        version=conversation.version + 1,
        updated_at=now,
    )


def stopped_data(data: Mapping[str, Any], reason: str) -> dict[str, Any]:
    """The data of a conversation staff stopped, saying why."""
    return {**data, "stopped": reason}


def with_decisions(decisions: list[DecisionRecord]) -> dict[str, Any]:
    """Data holding only these decisions (sample data for reports)."""
    return {"decisions": decisions}
