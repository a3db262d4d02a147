"""What a step asks the outside world to do: the outputs of :func:`bot.core.engine.step`.

Plain frozen data; the services execute them (in one transaction with the
new conversation state). Each is idempotent on its own terms: ``SendMessage``
carries a ``key`` that storage keeps unique.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.model import AppointmentStatus

__all__ = [
    "Effect",
    "HandOff",
    "HoldSlot",
    "JoinWaitlist",
    "OptOut",
    "RecordAnswer",
    "RequestCancellation",
    "SendMessage",
    "SetAppointmentStatus",
]


@dataclass(frozen=True, slots=True)
class SendMessage:
    """Send one message to the conversation's patient.

    With ``content_sid`` it is a template send (business-initiated, outside the
    24-hour window): ``variables`` maps template slots to values. Without it,
    ``text`` is sent as free text. ``text`` is always the rendered preview.
    """

    key: str  # f"{conversation_id}:{state}:{kind}:{n}", unique per conversation and purpose
    conversation_id: str
    phone: str
    kind: str  # reminder, reminder_2, reply ...
    message: str  # the message's name in the flow file
    text: str
    content_sid: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    buttons: tuple[tuple[str, str], ...] = ()  # (payload id, label)
    # The offered times as a WhatsApp list (id, item, description): sent as a
    # twilio/list-picker inside the 24-hour window, ``text`` being the fallback.
    choices: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SetAppointmentStatus:
    appointment_id: str
    status: AppointmentStatus


@dataclass(frozen=True, slots=True)
class RequestCancellation:
    """The patient cancelled: record it for the RPA robot to apply in the legacy system."""

    appointment_id: str


@dataclass(frozen=True, slots=True)
class HandOff:
    """A person must take the conversation over; ``reason`` says why (no patient text)."""

    reason: str


@dataclass(frozen=True, slots=True)
class OptOut:
    """The patient asked to receive no more messages."""


@dataclass(frozen=True, slots=True)
class RecordAnswer:
    """An answer to a survey question (``question`` is the state that asked it)."""

    question: str
    value: str


@dataclass(frozen=True, slots=True)
class HoldSlot:
    """The patient picked an offered time: hold it for them and send the move to the robot.

    Done after the turn commits; the outcome comes back as the signal ``slot_held``
    or ``slot_taken`` (someone else holds it, or it was withdrawn meanwhile).
    """

    slot_id: str


@dataclass(frozen=True, slots=True)
class JoinWaitlist:
    """The patient wants an earlier time: put the appointment on the waitlist."""

    appointment_id: str


Effect = (
    SendMessage
    | SetAppointmentStatus
    | RequestCancellation
    | HandOff
    | OptOut
    | RecordAnswer
    | HoldSlot
    | JoinWaitlist
)
