"""The scheduler: periodic scans that find due work and hand it on.

Every job is an idempotent scan: its effects are keyed by unique indexes, so
zero, one or three schedulers running give the same result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.logs import correlation_id
from workers.correlation import new_scan_id

__all__ = ["CronJob", "InProgress", "Job", "add_cron_jobs", "create_scheduler", "stop_scheduler"]

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
CronJob = tuple[str, str, Job]  # (crontab line, IANA timezone, job)
# The runs in progress of a scheduler's jobs, so that stopping it can let them end.
InProgress = set["asyncio.Task[Any]"]


def create_scheduler(
    jobs: dict[str, tuple[timedelta, Job]],
    *,
    timezone: str = "UTC",
    in_progress: InProgress | None = None,
) -> AsyncIOScheduler:
    """An AsyncIOScheduler running each named job every ``interval`` (never two at once).

    Each run is in ``in_progress`` while it runs (for :func:`stop_scheduler`)."""
    scheduler = AsyncIOScheduler(timezone=timezone)
    running = set() if in_progress is None else in_progress
    for name, (interval, job) in jobs.items():
        scheduler.add_job(
            _logged(name, job, running),
            IntervalTrigger(seconds=interval.total_seconds(), timezone=timezone),
            id=name,
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )
    return scheduler


def add_cron_jobs(
    scheduler: AsyncIOScheduler,
    jobs: dict[str, CronJob],
    *,
    misfire_grace: timedelta = timedelta(hours=1),
    in_progress: InProgress | None = None,
) -> None:
    """Add jobs that fire at cron times in their own timezone (raises ValueError on a bad line).

    A firing missed while no scheduler ran still runs within ``misfire_grace``.
    """
    running = set() if in_progress is None else in_progress
    for name, (crontab, timezone, job) in jobs.items():
        scheduler.add_job(
            _logged(name, job, running),
            CronTrigger.from_crontab(crontab, timezone=timezone),
            id=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(misfire_grace.total_seconds()),
            replace_existing=True,
        )


async def stop_scheduler(
    scheduler: AsyncIOScheduler, in_progress: InProgress, *, within: float
) -> None:
    """Start no new run, let the runs in progress end (``within`` seconds), then shut down.

    APScheduler's own ``shutdown()`` cancels the runs in progress (its asyncio executor
    cannot wait without being a coroutine): a scan cut mid-way logged a traceback at every
    stop, and the clients it used were closed under it. A run still going after ``within``
    is cancelled as before; every scan is idempotent, so the next start does it again."""
    if not scheduler.running:
        return
    scheduler.pause()
    if in_progress:
        _, late = await asyncio.wait(set(in_progress), timeout=within)
        if late:
            log.warning("scheduled runs cancelled at stop", extra={"runs": len(late)})
    scheduler.shutdown(wait=False)
    await asyncio.sleep(0)  # AsyncIOScheduler shuts down in a callback of the loop: let it run


def _logged(name: str, job: Job, in_progress: InProgress) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        # Every line this run causes, here and in the workers it hands tasks to, carries its id.
        token = correlation_id.set(new_scan_id(name))
        task = asyncio.current_task()
        if task is not None:  # always: APScheduler runs a coroutine job as a task
            in_progress.add(task)
        try:
            await job()
        except Exception:
            log.exception(
                "scheduled job failed; it runs again at its next tick", extra={"job": name}
            )
        finally:
            if task is not None:
                in_progress.discard(task)
            correlation_id.reset(token)

    return run
