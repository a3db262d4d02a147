"""An appointment, as pushed by the clinic's legacy system (through the RPA robot)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["Appointment", "AppointmentStatus"]


class AppointmentStatus(StrEnum):
    """Where an appointment stands, as the clinic and the reports see it."""

    SCHEDULED = "scheduled"  # known, no answer yet
    CONFIRMED = "confirmed"
    CANCEL_REQUESTED = "cancel_requested"  # the patient cancelled; the robot has not applied it yet
    CANCELLED = "cancelled"  # cancelled in the legacy system
    RESCHEDULE_REQUESTED = "reschedule_requested"
    NO_RESPONSE = "no_response"
    DELIVERY_FAILED = "delivery_failed"  # the reminder could not be delivered: call the patient
    OPTED_OUT = "opted_out"


@dataclass(frozen=True, slots=True)
class Appointment:
    """One appointment as pushed by the clinic's legacy system (through the RPA robot)."""

    id: str
    external_id: str
    patient_name: str
    phone: str  # E.164, e.g. +5511987654321
    starts_at: datetime  # timezone-aware
    doctor: str
    unit: str  # unit key from config.yaml
    specialty: str = ""
    status: AppointmentStatus = AppointmentStatus.SCHEDULED
    # When its reminder is due; None once claimed (or when none will be sent).
    # Written by the reminder service, never by the robot's upserts.
    reminder_due_at: datetime | None = None

    @property
    def first_name(self) -> str:
        return self.patient_name.split()[0] if self.patient_name.strip() else ""
