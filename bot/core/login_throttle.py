"""How repeated failed staff logins are slowed, then locked (pure: numbers in, seconds out).

Each subject (an account, a client address) counts its failures within a
window. The first ``free`` failures cost nothing; each one after waits twice
as long as the last before the next attempt is even checked; from ``lock_at``
on, the subject is locked for ``lock_for``. A success clears the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

__all__ = ["ThrottleRule", "wait_after"]


@dataclass(frozen=True)
class ThrottleRule:
    free: int  # failures allowed without any wait
    lock_at: int  # failures that lock the subject
    lock_for: timedelta
    first_wait: timedelta = timedelta(seconds=1)

    @property
    def window(self) -> timedelta:
        """How long a failure is remembered."""
        return self.lock_for


def wait_after(rule: ThrottleRule, failures: int) -> timedelta:
    """How long the subject must wait before its next attempt, after ``failures`` failures."""
    if failures >= rule.lock_at:
        return rule.lock_for
    if failures <= rule.free:
        return timedelta(0)
    doubling: int = 2 ** (failures - rule.free - 1)
    return min(rule.first_wait * doubling, rule.lock_for)
