"""Running a worker (a taskiq Receiver) inside our own process and loop.

``digitaly worker`` and ``digitaly run`` both use this, so there is no
module-level broker and the settings are loaded once by the CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from taskiq import AsyncBroker
from taskiq.receiver import Receiver

__all__ = ["run_worker"]

log = logging.getLogger(__name__)


async def run_worker(
    broker: AsyncBroker, stop: asyncio.Event, *, max_async_tasks: int = 50
) -> None:
    """Take tasks until ``stop`` is set, then let running ones finish (bounded)."""
    broker.is_worker_process = True
    receiver = Receiver(broker, max_async_tasks=max_async_tasks, wait_tasks_timeout=10.0)
    try:  # listen() runs broker.startup(), which opens the tasks' context
        await receiver.listen(stop)
    finally:
        with contextlib.suppress(Exception):
            await broker.shutdown()
        log.info("worker stopped")
