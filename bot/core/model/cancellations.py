"""Cancellations a patient made, for the RPA robot to apply in the legacy system."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Cancellation"]


@dataclass(frozen=True, slots=True)
class Cancellation:
    """A cancellation a patient made, waiting for the RPA robot to apply it."""

    id: str
    appointment_id: str
    external_id: str
    requested_at: datetime
    seq: int = 0  # the robot's cursor: increases with every new cancellation
    result: str | None = None  # applied | failed, once acknowledged
    detail: str = ""
    acked_at: datetime | None = None
