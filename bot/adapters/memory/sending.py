"""In-process twins of the task queue and the locks."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

__all__ = ["MemoryLocks", "MemoryQueue"]


class MemoryQueue:
    """A TaskQueue that only records what was handed off (for tests of the web side)."""

    def __init__(self) -> None:
        self.sends: list[str] = []

    async def enqueue_send(self, key: str) -> None:
        self.sends.append(key)

    async def oldest_unfinished(self) -> datetime | None:
        return None  # nothing takes these tasks: none is ever waiting for a worker


class MemoryLocks:
    """Per-key locks in one process, with the Redis locks' contract (TTL, holder-only release)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.held: dict[str, tuple[object, float]] = {}  # name -> (holder, expires at)

    @asynccontextmanager
    async def hold(self, name: str, ttl_ms: int = 30_000) -> AsyncIterator[bool]:
        """Yield True if this caller got the lock, False if someone else holds it."""
        now, token = self.clock(), object()
        current = self.held.get(name)
        acquired = current is None or current[1] <= now
        if acquired:
            self.held[name] = (token, now + ttl_ms / 1000)
        try:
            yield acquired
        finally:
            if acquired and self.held.get(name, (None, 0.0))[0] is token:
                del self.held[name]
