"""What an outbound message is for: its kind, as the outbox, the API and the reports read it.

A flow file may name kinds of its own (``survey``), so records keep the kind as
a string; these are the ones the code acts on.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["MessageKind", "is_reminder"]


class MessageKind(StrEnum):
    REMINDER = "reminder"  # the first reminder of an appointment
    REMINDER_2 = "reminder_2"  # the second, when the first had no answer
    REPLY = "reply"  # an answer inside a conversation (may repeat)
    NOTICE = "notice"  # the clinic cancelled: the patient is told
    STAFF = "staff"  # a person's free text from the console
    OPT_OUT = "opt_out"  # the opt-out's confirmation: the one message past the suppression


def is_reminder(kind: str) -> bool:
    """A reminder of any rank (``reminder``, ``reminder_2`` …): expires, counts, calls."""
    return kind.startswith(MessageKind.REMINDER)
