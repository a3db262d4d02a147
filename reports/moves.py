"""Rescheduling in the chat, in a day's report: the moves away from the day's appointments.

PURE, like :mod:`reports.data`. A move belongs to the day of the appointment
the patient moved away from, so a unit's figures are that unit's; each move
counts once, in the state it is in when the report is built: applied by the
robot, failed (the time was taken in the legacy system), expired (the hold
ended before the robot acknowledged it), or still waiting for the robot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from bot.core.model import Reschedule, RescheduleState

__all__ = ["MoveStats", "move_stats"]


@dataclass(frozen=True, slots=True)
class MoveStats:
    requested: int = 0  # times held for a patient (each becomes a move for the robot)
    applied: int = 0
    failed: int = 0
    expired: int = 0  # holds that ended before the robot acknowledged them
    waiting: int = 0  # held, the robot has not answered yet

    @property
    def any(self) -> bool:
        return self.requested > 0


def move_stats(moves: Iterable[Reschedule], appointment_ids: Collection[str]) -> MoveStats:
    """The figures of the moves away from ``appointment_ids``."""
    states = Counter(m.state for m in moves if m.appointment_id in appointment_ids)
    return MoveStats(
        requested=sum(states.values()),
        applied=states[RescheduleState.APPLIED],
        failed=states[RescheduleState.FAILED],
        expired=states[RescheduleState.EXPIRED],
        waiting=states[RescheduleState.HELD],
    )
