"""Failed-login counting shared by every web process."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from bot.core.login_throttle import ThrottleRule

__all__ = ["LoginThrottle"]


class LoginThrottle(Protocol):
    """Per-subject failure counts and waits; a subject is a key with its rule."""

    async def wait(self, subjects: Sequence[tuple[str, ThrottleRule]]) -> timedelta:
        """How long until every subject may try again (zero: now)."""
        ...

    async def failed(self, subjects: Sequence[tuple[str, ThrottleRule]]) -> timedelta:
        """Count one failure on each subject; the longest wait that follows."""
        ...

    async def clear(self, key: str) -> None:
        """Forget a subject's failures (a successful login)."""
        ...
