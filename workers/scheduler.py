"""The scheduler: periodic scans that find due work and hand it on.

Every job is an idempotent scan: its effects are keyed by unique indexes, so
zero, one or three schedulers running give the same result.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.logs import correlation_id
from workers.correlation import new_scan_id

__all__ = ["CronJob", "Job", "add_cron_jobs", "create_scheduler"]

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
CronJob = tuple[str, str, Job]  # (crontab line, IANA timezone, job)


def create_scheduler(
    jobs: dict[str, tuple[timedelta, Job]], *, timezone: str = "UTC"
) -> AsyncIOScheduler:
    """An AsyncIOScheduler running each named job every ``interval`` (never two at once)."""
    scheduler = AsyncIOScheduler(timezone=timezone)
    for name, (interval, job) in jobs.items():
        scheduler.add_job(
            _logged(name, job),
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
) -> None:
    """Add jobs that fire at cron times in their own timezone (raises ValueError on a bad line).

    A firing missed while no scheduler ran still runs within ``misfire_grace``.
    """
    for name, (crontab, timezone, job) in jobs.items():
        scheduler.add_job(
            _logged(name, job),
            CronTrigger.from_crontab(crontab, timezone=timezone),
            id=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(misfire_grace.total_seconds()),
            replace_existing=True,
        )


def _logged(name: str, job: Job) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        # Every line this run causes, here and in the workers it hands tasks to, carries its id.
        token = correlation_id.set(new_scan_id(name))
        try:
            await job()
        except Exception:
            log.exception(
                "scheduled job failed; it runs again at its next tick", extra={"job": name}
            )
        finally:
            correlation_id.reset(token)

    return run
