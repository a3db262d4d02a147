"""The robot's API, as pydantic models: what it sends (``extra="forbid"``) and what it gets.

The OpenAPI document is generated from these (see ``openapi.py``); a field
added here is documented there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from bot.core.errors import ValidationError
from bot.core.model import AppointmentStatus
from bot.core.phones import normalize

__all__ = [
    "AckIn",
    "AppointmentBatch",
    "AppointmentIn",
    "AppointmentOut",
    "BatchResult",
    "BatchSummary",
    "CancellationOut",
    "CancellationPage",
    "ErrorBody",
    "ErrorResponse",
    "FieldProblem",
    "ItemResult",
    "OperationOut",
    "ReminderOut",
]

EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
ID_PATTERN = r"^[0-9a-f]{32}$"
CURSOR_PATTERN = r"^[0-9]{1,18}$"
Answer = Literal["confirmed", "cancel", "reschedule", "opted_out"]
CancellationState = Literal["pending", "applied", "failed"]
OperationState = Literal["running", "succeeded", "failed", "abandoned"]
DeliveryState = Literal["pending", "sending", "sent", "unknown", "failed", "dead"]
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


# No control characters (NUL included): they have no place in a name and break exports.
Text = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
OptionalText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")
]
Detail = Annotated[str, StringConstraints(max_length=1000, pattern=r"^[^\x00\x7f]*$")]


def _string_only(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be a date-time string such as 2026-12-01T14:30:00-03:00")
    return value


def _in_range(value: datetime) -> datetime:
    if not _EARLIEST <= value < _LATEST:
        raise ValueError("must be between the years 2000 and 2099")
    # Stored with millisecond precision: cut here so a repeated push compares equal.
    return value.astimezone(UTC).replace(microsecond=value.microsecond // 1000 * 1000)


StartsAt = Annotated[AwareDatetime, BeforeValidator(_string_only), AfterValidator(_in_range)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppointmentIn(_Request):
    """One appointment as the legacy system has it."""

    external_id: Annotated[str, Field(pattern=EXTERNAL_ID_PATTERN)] = Field(
        description="The legacy system's id: the key every push is matched on."
    )
    patient_name: Text
    phone: Annotated[str, StringConstraints(min_length=8, max_length=30)] = Field(
        description="The patient's mobile, any common format (+55 11 98765-4321, 11987654321)."
    )
    starts_at: StartsAt = Field(
        description="ISO 8601 with its offset, e.g. 2026-12-01T14:30:00-03:00 (no offset: rejected)."
    )
    doctor: Text
    specialty: OptionalText = ""
    unit: str = Field(description="A unit key from config.yaml.")
    status: Literal["scheduled", "cancelled"] = Field(
        default="scheduled",
        description="cancelled: the clinic cancelled it (its conversation stops, the patient may be told).",
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        try:
            return normalize(value)
        except ValidationError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str, info: ValidationInfo) -> str:
        units: list[str] = (info.context or {}).get("units", [])
        if value not in units:
            raise ValueError(f"unknown unit; configured: {', '.join(units)}")
        return value


class AppointmentBatch(_Request):
    """Appointments to create or update. Each item is checked on its own: bad ones are rejected, the rest written."""

    items: list[AppointmentIn] = Field(max_length=1000)


class AckIn(_Request):
    result: Literal["applied", "failed"] = Field(
        description="applied: cancelled in the legacy system. failed: it could not be; staff will act."
    )
    detail: Detail = Field(default="", description="What happened, for the staff (free text).")


# --- answers ----------------------------------------------------------------------------


class FieldProblem(BaseModel):
    path: str = Field(description="Where the problem is, e.g. items.3.phone or query.limit.")
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    errors: list[FieldProblem] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class ItemResult(BaseModel):
    index: int = Field(description="The item's position in the request, from 0.")
    external_id: str | None = None
    result: Literal["created", "updated", "unchanged", "rejected"]
    id: str | None = Field(default=None, description="Digitaly's id for the appointment.")
    errors: list[FieldProblem] = Field(
        default_factory=list, description="Why it was rejected (nothing was written for it)."
    )


class BatchSummary(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


class BatchResult(BaseModel):
    summary: BatchSummary
    items: list[ItemResult]


class OperationOut(BaseModel):
    id: str
    state: OperationState = Field(
        description="abandoned: no progress for minutes (its process stopped); push the batch again."
    )
    total: int
    done: int
    created_at: datetime
    updated_at: datetime
    result: BatchResult | None = None
    error: str | None = None


class ReminderOut(BaseModel):
    kind: str = Field(description="reminder, reminder_2 ... as the flow names it.")
    queued_at: datetime
    state: DeliveryState
    delivery_status: str | None = Field(
        default=None,
        description="From WhatsApp: queued, sent, delivered, read, failed, undelivered.",
    )
    error_code: int | None = None


class CancellationOut(BaseModel):
    id: str
    external_id: str
    requested_at: datetime
    cursor: str = Field(description="Pass as `after` to read the ones after this one.")
    state: CancellationState
    detail: str = ""
    acknowledged_at: datetime | None = None


class CancellationPage(BaseModel):
    items: list[CancellationOut]
    next_cursor: str | None = Field(
        description="The `after` for the next page; null when this page was the last."
    )


class AppointmentOut(BaseModel):
    id: str
    external_id: str
    status: AppointmentStatus
    starts_at: datetime
    unit: str
    doctor: str
    specialty: str
    patient_answer: Answer | None = Field(
        description="What the patient answered on WhatsApp, if anything."
    )
    reminders: list[ReminderOut]
    cancellation: CancellationOut | None
