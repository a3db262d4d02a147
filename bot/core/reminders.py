"""When a reminder may go out: offsets before the appointment, sending hours, lead time.

Pure: every function takes ``now``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["SendingWindow", "first_reminder_at", "may_send"]

_SUNDAY = 6


@dataclass(frozen=True, slots=True)
class SendingWindow:
    """The hours a unit may message patients, in its own timezone."""

    timezone: str
    start: time
    end: time
    sundays: bool = False

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.timezone))
        if local.weekday() == _SUNDAY and not self.sundays:
            return False
        return self.start <= local.time() < self.end


def first_reminder_at(starts_at: datetime, offsets: Sequence[timedelta], now: datetime) -> datetime:
    """The first reminder time still ahead of ``now`` (largest offset first), else ``now``."""
    for offset in sorted(offsets, reverse=True):
        moment = starts_at - offset
        if moment >= now:
            return moment
    return now


def may_send(
    starts_at: datetime, now: datetime, window: SendingWindow, min_lead: timedelta
) -> bool:
    """A due reminder may go out now: inside the sending hours and far enough ahead."""
    return starts_at - now >= min_lead and window.is_open(now)
