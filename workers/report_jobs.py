"""The scheduler's report jobs: cron lines that request reports, and a sweep that retries.

Each ``reports.schedules`` line fires in each unit's timezone (and once for
the whole network): ``expected`` asks for tomorrow's report, ``summary`` for
yesterday's. Firing records the run (unique per date, unit and kind) and
kicks the build task; three schedulers firing at once store one report.
The sweep re-kicks builds whose task was lost and emails whose retry is due.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.adapters.mongo.email_deliveries import EmailDeliveries
from bot.clock import Clock
from bot.settings import Settings
from reports.archive import ReportArchive
from reports.build import NETWORK, scope_for
from reports.data import ReportKind
from workers.report_tasks import ReportQueue
from workers.scheduler import CronJob, Job

__all__ = ["ReportJobs", "report_jobs"]

log = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(minutes=1)
# A build not stored this long after it was requested (or re-kicked) is kicked again.
BUILD_LOST_AFTER = timedelta(minutes=10)


class ReportJobs(NamedTuple):
    cron: dict[str, CronJob]  # name -> (crontab, timezone, job)
    interval: dict[str, tuple[timedelta, Job]]  # name -> (every, job)


def report_jobs(
    settings: Settings,
    archive: ReportArchive,
    deliveries: EmailDeliveries,
    queue: ReportQueue,
    clock: Clock,
) -> ReportJobs:
    """Every report job: one cron job per schedule line and unit (and the network), one sweep."""
    cron: dict[str, CronJob] = {}
    for number, schedule in enumerate(settings.reports.schedules):
        kind = ReportKind(schedule.kind)
        for unit in [*(u.key for u in settings.units), None]:
            timezone = scope_for(settings, unit).timezone
            name = f"report:{kind.value}:{unit or NETWORK}:{number}"
            cron[name] = (
                schedule.cron,
                timezone,
                _request(archive, queue, kind, unit, timezone, clock),
            )
    return ReportJobs(
        cron, {"report_sweep": (SWEEP_EVERY, _sweep(archive, deliveries, queue, clock))}
    )


def _request(
    archive: ReportArchive,
    queue: ReportQueue,
    kind: ReportKind,
    unit: str | None,
    timezone: str,
    clock: Clock,
) -> Job:
    async def run() -> None:
        now = clock()
        today = now.astimezone(ZoneInfo(timezone)).date()
        day = (
            today + timedelta(days=1) if kind is ReportKind.EXPECTED else today - timedelta(days=1)
        )
        stored = await archive.request(day, unit, kind, now)
        if stored.state == "requested":
            await queue.build(stored.id)
            log.info("report requested", extra={"report": stored.id})

    return run


def _sweep(
    archive: ReportArchive, deliveries: EmailDeliveries, queue: ReportQueue, clock: Clock
) -> Job:
    async def run() -> None:
        now = clock()
        for lost in await archive.requested_before(now - BUILD_LOST_AFTER):
            await archive.touch_request(lost.id, now)
            await queue.build(lost.id)
            log.warning("report build re-kicked", extra={"report": lost.id})
        for due in await deliveries.due(now):
            await queue.email(due.id)

    return run
