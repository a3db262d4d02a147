"""The in-memory twin of the Redis login throttle (same contract, one process)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from bot.core.login_throttle import ThrottleRule, wait_after

__all__ = ["MemoryLoginThrottle"]


class MemoryLoginThrottle:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.now = monotonic
        self.failures: dict[str, tuple[int, float]] = {}  # key -> (count, forgotten at)
        self.until: dict[str, float] = {}

    async def wait(self, subjects: Sequence[tuple[str, ThrottleRule]]) -> timedelta:
        now = self.now()
        longest = max((self.until.get(key, now) - now for key, _ in subjects), default=0.0)
        return timedelta(seconds=max(0.0, longest))

    async def failed(self, subjects: Sequence[tuple[str, ThrottleRule]]) -> timedelta:
        now, longest = self.now(), timedelta(0)
        for key, rule in subjects:
            count, forgotten = self.failures.get(key, (0, now))
            count = count + 1 if forgotten > now else 1
            self.failures[key] = (count, now + rule.window.total_seconds())
            wait = wait_after(rule, count)
            if wait:
                self.until[key] = now + wait.total_seconds()
            longest = max(longest, wait)
        return longest

    async def clear(self, key: str) -> None:
        self.failures.pop(key, None)
        self.until.pop(key, None)
