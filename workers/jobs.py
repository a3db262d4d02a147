"""The scheduler's jobs, wired to storage and the broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from taskiq import AsyncBroker

from bot.settings import Settings
from workers.context import open_context
from workers.scheduler import Job

__all__ = ["create_jobs"]


@asynccontextmanager
async def create_jobs(
    settings: Settings, broker: AsyncBroker
) -> AsyncIterator[dict[str, tuple[timedelta, Job]]]:
    """Every periodic job with its interval, over a connection opened for the scheduler."""
    async with open_context(settings) as context:
        del context, broker  # the jobs arrive with the features that need them
        yield {}
