"""Redis commands held back while a lock is held, to go out with its release in one round trip.

A conversation turn takes the patient's lock, commits, hands its sends to the
task queue and gives the lock back: three Redis round trips, each a loopback
socket write that costs the web process more CPU than the Python around it.
While :class:`bot.adapters.locks.RedisLocks` holds a lock for a task, the
task queue's hand-offs (``workers.broker``) join that lock's batch instead, and
the release sends them and itself as one pipeline: two round trips a turn.

The batch belongs to the task that took the lock (a context variable): another
task, or a hand-off after the release, goes out at once as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["Batch", "defer", "held_batch"]

Command = Callable[[Any], object]  # given a redis pipeline, queues one command on it


class Batch:
    """Commands waiting for a lock's release; closed once they have been sent."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.closed = False
        # A task created meanwhile copies the context variable, not the lock: not its batch.
        self.owner = asyncio.current_task()


_current: ContextVar[Batch | None] = ContextVar("digitaly_redis_batch", default=None)


def defer(command: Command) -> bool:
    """Queue ``command`` for the release of the lock this task holds.

    False when it holds none (or it was released): the caller sends it now.
    """
    batch = _current.get()
    if batch is None or batch.closed or batch.owner is not asyncio.current_task():
        return False
    batch.commands.append(command)
    return True


@contextmanager
def held_batch() -> Iterator[Batch]:
    """A batch open for this task until the block ends (the lock's release sends it)."""
    batch = Batch()
    token = _current.set(batch)
    try:
        yield batch
    finally:
        batch.closed = True
        _current.reset(token)
