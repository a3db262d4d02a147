"""The scheduler's jobs, wired to storage and the broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from taskiq import AsyncBroker

from bot.adapters.queue import TaskiqQueue
from bot.services.outbox import sweep
from bot.settings import Settings
from workers.context import WorkerContext, open_context
from workers.scheduler import Job

__all__ = ["create_jobs"]

_SWEEP_EVERY = timedelta(seconds=1)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def create_jobs(
    settings: Settings, broker: AsyncBroker
) -> AsyncIterator[dict[str, tuple[timedelta, Job]]]:
    """Every periodic job with its interval, over a connection opened for the scheduler."""
    async with open_context(settings) as context:
        yield {"outbox_sweep": (_SWEEP_EVERY, _outbox_sweep(context, TaskiqQueue(broker)))}


def _outbox_sweep(context: WorkerContext, queue: TaskiqQueue) -> Job:
    async def run() -> object:
        return await sweep(
            store=context.store,
            queue=queue,
            messenger=context.messenger,
            breaker=context.breaker,
            settings=context.settings,
            clock=_utcnow,
        )

    return run
