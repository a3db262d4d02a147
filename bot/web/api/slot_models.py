"""The robot's API for rescheduling, as pydantic models: open slots in, moves out, acks.

Kept beside ``models.py`` (which holds the appointments' and cancellations'),
with the same rules: requests forbid unknown fields, answers are documented.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from bot.web.api.models import (
    EXTERNAL_ID_PATTERN,
    BatchSummary,
    Detail,
    ItemResult,
    OptionalText,
    StartsAt,
    Text,
)

__all__ = [
    "FullDay",
    "RescheduleAckIn",
    "RescheduleOut",
    "ReschedulePage",
    "SlotBatch",
    "SlotBatchResult",
    "SlotBatchSummary",
    "SlotIn",
]

RescheduleAnswer = Literal["held", "applied", "failed", "expired"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_unit(value: str, info: ValidationInfo) -> str:
    units: list[str] = (info.context or {}).get("units", [])
    if value not in units:
        raise ValueError(f"unknown unit; configured: {', '.join(units)}")
    return value


class SlotIn(_Request):
    """One open time in the legacy system's agenda."""

    external_id: Annotated[str, Field(pattern=EXTERNAL_ID_PATTERN)] = Field(
        description="The legacy system's id for this time: the key every push is matched on."
    )
    unit: str = Field(description="A unit key from config.yaml.")
    doctor: Text
    specialty: OptionalText = ""
    starts_at: StartsAt = Field(
        description="ISO 8601 with its offset, e.g. 2026-12-01T14:30:00-03:00 (no offset: rejected)."
    )
    duration_minutes: int = Field(ge=5, le=480, description="How long the visit lasts.")
    visit_type: OptionalText = Field(default="", description="e.g. consulta, retorno (optional).")

    _unit = field_validator("unit")(_known_unit)


class FullDay(_Request):
    """A unit's day this push lists completely: its open slots not in the push are withdrawn."""

    unit: str = Field(description="A unit key from config.yaml.")
    date: dt.date = Field(description="The day in the unit's timezone, YYYY-MM-DD.")

    _unit = field_validator("unit")(_known_unit)


class SlotBatch(_Request):
    """Open slots to create or update; each item is checked on its own."""

    items: list[SlotIn] = Field(max_length=1000)
    full_days: list[FullDay] = Field(
        default_factory=list,
        max_length=400,
        description=(
            "Unit days this push lists completely (every open slot of that unit and day is in "
            "`items`): the open slots of those days missing from the push are withdrawn. "
            "Applied only when no item is rejected."
        ),
    )


class SlotBatchSummary(BatchSummary):
    withdrawn: int = Field(default=0, description="Open slots withdrawn by `full_days`.")
    full_days_applied: bool = Field(
        default=True, description="False when an item was rejected: nothing was withdrawn."
    )


class SlotBatchResult(BaseModel):
    summary: SlotBatchSummary
    items: list[ItemResult]


class RescheduleAckIn(_Request):
    result: Literal["applied", "failed"] = Field(
        description=(
            "applied: the appointment was moved in the legacy system. "
            "failed: it could not be (the time was taken there); the patient is offered others."
        )
    )
    detail: Detail = Field(default="", description="What happened, for the staff (free text).")


class RescheduleOut(BaseModel):
    id: str
    cursor: str = Field(description="Pass as `after` to read the moves after this one.")
    state: RescheduleAnswer
    requested_at: dt.datetime
    hold_until: dt.datetime = Field(description="Acknowledge before this, or the hold expires.")
    appointment_external_id: str = Field(description="The appointment to move (the old one).")
    slot_external_id: str = Field(description="The open time to move it to.")
    starts_at: dt.datetime | None = Field(default=None, description="The new time.")
    doctor: str | None = None
    unit: str | None = None
    patient_name: str | None = None
    phone: str | None = None
    detail: str = ""
    acknowledged_at: dt.datetime | None = None


class ReschedulePage(BaseModel):
    items: list[RescheduleOut]
    next_cursor: str | None = Field(
        default=None, description="Present when there may be more: pass it as `after`."
    )
