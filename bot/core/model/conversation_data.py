"""The shape of ``Conversation.data``: the flow-local bookkeeping a conversation carries.

The engine and the flow's actions write it (as a plain JSON-able dict, so a
stored conversation reads back unchanged); everyone else reads and adjusts it
through the helpers here, so each key is spelled in one place.
"""

from __future__ import annotations

from typing import cast

from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict  # pydantic reads these on 3.11: it needs this one

__all__ = [
    "ConversationData",
    "DecisionRecord",
    "decisions_of",
    "erased_data",
    "handed_back",
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


# A stored conversation may carry keys an older or newer flow version wrote: they are
# kept as they are, never dropped on the way through storage.
@with_config(ConfigDict(extra="allow"))
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
    outcome_by_staff: str  # the answer staff recorded on the patient's behalf
    offer: list[dict[str, str]]  # the free times offered for a reschedule (id, starts_at, doctor)
    picked: int  # the index of the offered time the patient chose
    holding: str  # the slot held for the patient
    moves_failed: int  # how often the robot could not book the held time
    waitlisted: bool  # the patient joined the waitlist for an earlier time
    erased: bool  # the patient's data was erased (LGPD): only ``erased_data`` is kept


def decisions_of(data: ConversationData) -> list[DecisionRecord]:
    """The recorded decisions, oldest first (none when the patient never answered)."""
    found: list[DecisionRecord] = data.get("decisions") or []
    return found


def chose_to_keep(data: ConversationData) -> bool:
    """The patient answered "no" to "do you really want to cancel?" ("Manter consulta").

    With a no-response ending, that patient kept the appointment and then went quiet:
    not one who never answered. The agenda and the reports both tell them apart by this.
    """
    return any(
        d.get("state") == "confirm_cancel" and d.get("intent") == "no" for d in decisions_of(data)
    )


def handed_back(data: ConversationData) -> ConversationData:
    """The data of a conversation staff hands back to the bot: it asks afresh."""
    kept = data.copy()
    kept.pop("handed_off", None)
    kept["asks"] = 0
    return kept


def stopped_data(data: ConversationData, reason: str) -> ConversationData:
    """The data of a conversation staff stopped, saying why."""
    stopped = data.copy()
    stopped["stopped"] = reason
    return stopped


# What an erased conversation keeps of each decision: when, in which state, what was
# understood and by which kind of evidence. The aggregate reports need these (answered,
# time to answer, kept the appointment); they name nobody. The reason goes: it is detail.
_ANONYMOUS_DECISION = ("at", "state", "intent", "rule")


def erased_data(data: ConversationData) -> ConversationData:
    """The data an erased conversation keeps (LGPD): counts and outcomes, nothing that names.

    The messages sent per kind and the decisions' outcomes feed the reports of past days,
    which must count the same after an erasure; the template variables (names, doctor),
    staff notes and everything else go.
    """
    decisions = [
        cast(DecisionRecord, {k: v for k, v in d.items() if k in _ANONYMOUS_DECISION})
        for d in decisions_of(data)
    ]
    return ConversationData(erased=True, sent=dict(data.get("sent", {})), decisions=decisions)


def with_decisions(decisions: list[DecisionRecord]) -> ConversationData:
    """Data holding only these decisions (sample data for reports)."""
    return ConversationData(decisions=decisions)
