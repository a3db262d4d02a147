"""The report's waitlist figures: times cancellations freed that the waitlist refilled.

PURE: the openings filled on the day in, two figures out (how many were taken
by a waitlisted patient, and the median time from the cancellation to that
patient's "sim"); :mod:`reports.pdf_waitlist` draws them. Kept apart from the appointment
figures: it counts freed times, not the day's appointments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from bot.core.model import Opening, OpeningState

__all__ = ["WaitlistFigures", "waitlist_figures"]


@dataclass(frozen=True, slots=True)
class WaitlistFigures:
    refilled: int = 0  # freed times a waitlisted patient took on the day
    median_seconds: float | None = None  # from the cancellation to that patient's "sim"


def waitlist_figures(
    openings: Sequence[Opening], start: datetime, end: datetime, unit: str | None
) -> WaitlistFigures:
    """Openings filled from the waitlist in [start, end), of ``unit`` (None: every unit)."""
    refilled = [
        o
        for o in openings
        if o.state is OpeningState.FILLED
        and o.offer_id
        and o.settled_at is not None
        and start <= o.settled_at < end
        and (unit is None or o.unit == unit)
    ]
    waits = [(o.settled_at - o.cancelled_at).total_seconds() for o in refilled if o.settled_at]
    return WaitlistFigures(len(refilled), median(waits) if waits else None)
