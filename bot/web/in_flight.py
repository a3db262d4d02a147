"""One call per name in flight, awaited with a deadline that never cancels it.

Why not ``asyncio.wait_for``: on Python 3.11 pymongo waits for server selection
(and for a pool connection) with ``wait_for(condition.wait(), ...)``, which runs
the wait in a task of its own. A cancel that reaches the operation while that
inner wait is being cancelled releases the topology lock out from under it
(``RuntimeError: Lock is not acquired``); the inner task then takes the lock
back and ends holding it, and every later operation of that client waits for
it forever. So a probe that times out leaves the driver's call running: the
next probe joins it rather than starting another, and the call ends by the
driver's own deadline (``pymongo.timeout``, the Redis socket timeout).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = ["InFlight", "Late"]

T = TypeVar("T")


class Late(Exception):
    """The call did not answer within the deadline; it is still running."""

    def __init__(self, name: str, running_for: float) -> None:
        super().__init__(f"{name}: no answer after {running_for:.1f} s")
        self.name = name
        self.running_for = running_for


@dataclass
class InFlight:
    """The calls still running, by name (one per name), and when each started."""

    _calls: dict[str, tuple[asyncio.Task[Any], float]] = field(default_factory=dict)

    async def answer(self, name: str, call: Callable[[], Awaitable[T]], within: float) -> T:
        """The result of the call in flight under ``name`` (a new one if none), or ``Late``."""
        task, started = self._join(name, call)
        done, _ = await asyncio.wait((task,), timeout=within)
        if not done:
            raise Late(name, time.monotonic() - started)
        result: T = task.result()
        return result

    def _join(self, name: str, call: Callable[[], Awaitable[T]]) -> tuple[asyncio.Task[T], float]:
        running = self._calls.get(name)
        if running is not None and not running[0].done():
            return running

        async def run() -> T:
            return await call()

        task = asyncio.create_task(run(), name=f"in-flight {name}")
        started = time.monotonic()
        self._calls[name] = (task, started)
        task.add_done_callback(lambda done: self._forget(name, done))
        return task, started

    def _forget(self, name: str, task: asyncio.Task[Any]) -> None:
        if self._calls.get(name, (None, 0.0))[0] is task:
            del self._calls[name]
        if not task.cancelled():
            task.exception()  # retrieved: a probe nobody awaits any more is not an unhandled error

    async def close(self) -> None:
        """At shutdown: cancel what still runs (its client closes next) and let it end."""
        tasks = [task for task, _ in self._calls.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
