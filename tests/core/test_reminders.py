"""Reminder timing: table tests of the pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.core.reminders import SendingWindow, first_reminder_at, may_send

SP = "America/Sao_Paulo"  # UTC-3, no daylight saving since 2019
WINDOW = SendingWindow(SP, time(8), time(20))
H = timedelta(hours=1)
OFFSETS = [48 * H, 24 * H]
APPOINTMENT = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)  # Thursday 14:00 in São Paulo


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (APPOINTMENT - 72 * H, APPOINTMENT - 48 * H),  # booked early: 48 h before
        (APPOINTMENT - 30 * H, APPOINTMENT - 24 * H),  # 48 h passed: the 24 h one
        (APPOINTMENT - 10 * H, APPOINTMENT - 10 * H),  # both passed: now
        (APPOINTMENT - 48 * H, APPOINTMENT - 48 * H),  # exactly on time
    ],
)
def test_first_reminder_at(now: datetime, expected: datetime) -> None:
    assert first_reminder_at(APPOINTMENT, OFFSETS, now) == expected


@pytest.mark.parametrize(
    ("now", "window", "allowed"),
    [
        (datetime(2026, 12, 2, 12, 0, tzinfo=UTC), WINDOW, True),  # Wed 09:00 local
        (datetime(2026, 12, 2, 10, 59, tzinfo=UTC), WINDOW, False),  # Wed 07:59 local
        (datetime(2026, 12, 2, 11, 0, tzinfo=UTC), WINDOW, True),  # Wed 08:00 local: opens
        (datetime(2026, 12, 2, 23, 0, tzinfo=UTC), WINDOW, False),  # Wed 20:00 local: closed
        (datetime(2026, 11, 29, 15, 0, tzinfo=UTC), WINDOW, False),  # Sunday 12:00 local
        (
            datetime(2026, 11, 29, 15, 0, tzinfo=UTC),
            SendingWindow(SP, time(8), time(20), sundays=True),
            True,
        ),
        (APPOINTMENT - 2 * H, WINDOW, True),  # exactly the minimum lead
        (APPOINTMENT - 2 * H + timedelta(minutes=1), WINDOW, False),  # too close
        (APPOINTMENT + H, WINDOW, False),  # already started: never
    ],
)
def test_may_send(now: datetime, window: SendingWindow, allowed: bool) -> None:
    assert may_send(APPOINTMENT, now, window, 2 * H) is allowed
