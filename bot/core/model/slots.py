"""Open times in the legacy system's agenda, pushed by the RPA robot, and the patients' moves to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["FREED_PREFIX", "Reschedule", "RescheduleState", "Slot", "SlotQuery", "SlotState"]

# The external_id of a time a cancellation freed (the waitlist's, not the robot's):
# "cancelled:<the cancelled appointment's external_id>". A full push never withdraws it.
FREED_PREFIX = "cancelled:"


class SlotState(StrEnum):
    OPEN = "open"  # free in the legacy system, as of the robot's last push
    WITHDRAWN = "withdrawn"  # missing from a later full push of its unit and day
    BOOKED = "booked"  # a patient's move to it was applied by the robot


@dataclass(frozen=True, slots=True)
class Slot:
    """One free time the robot pushed; ``held_by`` is the move claiming it until ``held_until``."""

    id: str
    external_id: str
    unit: str
    doctor: str
    specialty: str
    starts_at: datetime
    duration_minutes: int
    day: str  # the unit's local date, YYYY-MM-DD: what a full push of a day replaces
    visit_type: str = ""
    state: SlotState = SlotState.OPEN
    held_by: str | None = None
    held_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SlotQuery:
    """The open slots an offer may show: this unit and specialty (and doctor, when given),
    starting at ``earliest`` or later."""

    unit: str
    specialty: str
    earliest: datetime
    doctor: str | None = None


class RescheduleState(StrEnum):
    HELD = "held"  # the slot is held; the robot books it in the legacy system
    APPLIED = "applied"
    FAILED = "failed"  # the legacy system refused (the time was taken there)
    EXPIRED = "expired"  # not acknowledged before the hold ended


@dataclass(frozen=True, slots=True)
class Reschedule:
    """A patient's move from one appointment to a held slot, for the robot to apply."""

    id: str
    appointment_id: str
    external_id: str  # the old appointment's, in the legacy system
    slot_id: str
    slot_external_id: str
    conversation_id: str
    requested_at: datetime
    hold_until: datetime
    seq: int = 0  # the robot's cursor
    state: RescheduleState = RescheduleState.HELD
    detail: str = ""
    acked_at: datetime | None = None
