"""The waitlist: patients who want an earlier time, the times cancellations free, the offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = [
    "CandidateQuery", "OfferState", "Opening", "OpeningState", "WaitlistEntry", "WaitlistOffer",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class WaitlistEntry:
    """A patient waiting for an earlier time than their appointment (one entry per appointment).

    No patient data: the appointment holds the name and phone.
    """

    id: str  # the appointment's id
    appointment_id: str
    unit: str
    specialty: str
    doctor: str
    starts_at: datetime  # the appointment's current time: only earlier times are offered
    joined_at: datetime
    last_offered_at: datetime | None = None  # people not offered lately go first
    active: bool = True


@dataclass(frozen=True, slots=True)
class CandidateQuery:
    """The entries a freed time may be offered to: same unit and specialty (and doctor, when
    given), their appointment later than ``earlier_than``, none of ``exclude``."""

    unit: str
    specialty: str
    earlier_than: datetime
    doctor: str | None = None
    exclude: frozenset[str] = frozenset()


class OpeningState(StrEnum):
    PENDING = "pending"  # a cancellation was recorded; the scheduler has not looked at it yet
    OPEN = "open"  # its time is a slot, offered in batches
    FILLED = "filled"  # a patient from the list (or a rescheduling patient) took it
    WITHDRAWN = "withdrawn"  # the clinic re-instated the appointment: the time is not free
    SKIPPED = "skipped"  # no waitlist there, or too soon to offer


@dataclass(frozen=True, slots=True)
class Opening:
    """A time freed by a cancellation (a patient's on WhatsApp, or the clinic's via the robot)."""

    id: str  # the cancelled appointment's id: one opening per appointment
    appointment_id: str
    cancelled_at: datetime
    state: OpeningState = OpeningState.PENDING
    slot_id: str = ""  # the slot it became, which offers hold like any pick
    unit: str = ""
    specialty: str = ""
    doctor: str = ""
    starts_at: datetime | None = None
    next_batch_at: datetime | None = None
    batches: int = 0
    settled_at: datetime | None = None  # filled or withdrawn
    offer_id: str = ""  # filled by this waitlist offer (empty: by a rescheduling patient)


class OfferState(StrEnum):
    OPEN = "open"  # sent; no answer yet
    ACCEPTED = "accepted"  # this patient's "sim" held the time
    TAKEN = "taken"  # someone else took it first
    WITHDRAWN = "withdrawn"  # the time is no longer free (the clinic re-instated it)
    EXPIRED = "expired"  # no "sim" within ``offer_valid_for`` (or the patient said no)


@dataclass(frozen=True, slots=True)
class WaitlistOffer:
    """One opening offered to one waitlisted patient, through its own conversation."""

    id: str  # f"{opening id}.{entry id}": an opening is offered to a patient once
    opening_id: str
    entry_id: str
    conversation_id: str
    offered_at: datetime
    state: OfferState = OfferState.OPEN
    settled_at: datetime | None = None
