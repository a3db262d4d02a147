"""The scheduler's jobs, wired to storage and the broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import NamedTuple

from taskiq_redis import RedisStreamBroker

from bot.adapters.flow_files import FlowDirectory
from bot.adapters.locks import RedisLocks
from bot.adapters.model_fitting import ChildFitter
from bot.adapters.mongo.email_deliveries import EmailDeliveries
from bot.adapters.mongo.privacy import apply_retention
from bot.adapters.mongo.report_archive import MongoReportArchive
from bot.adapters.queue import TaskiqQueue
from bot.clock import utcnow
from bot.services.reconcile import InboundReconciler
from bot.services.sweeper import sweep
from bot.settings import Settings
from bot.wiring import Services, create_services
from workers.context import WorkerContext, open_context
from workers.conversation_jobs import conversation_jobs
from workers.report_jobs import report_jobs
from workers.report_tasks import ReportQueue
from workers.scheduler import CronJob, Job

__all__ = ["Jobs", "create_jobs"]

_SWEEP_EVERY = timedelta(seconds=1)
_RETENTION_EVERY = timedelta(hours=1)
_TRIM_EVERY = timedelta(minutes=1)


class Jobs(NamedTuple):
    interval: dict[str, tuple[timedelta, Job]]  # name -> (every, job)
    cron: dict[str, CronJob]  # name -> (crontab, timezone, job)
    flows: FlowDirectory  # what ``flows_reload`` reloads: its fitting stops at shutdown


@asynccontextmanager
async def create_jobs(
    settings: Settings, broker: RedisStreamBroker, flows: FlowDirectory | None = None
) -> AsyncIterator[Jobs]:
    """Every scheduled job, over a connection opened for the scheduler.

    ``flows``: the process's flows when another part (the web, in ``digitaly run``)
    shares them; without, they are loaded here. The ``flows_reload`` job keeps
    them current either way.
    """
    async with open_context(settings) as context:
        queue = TaskiqQueue(broker)
        if flows is None:
            flows = FlowDirectory(settings.flows_dir, ChildFitter())
            await flows.load_at_start()
        loaded = flows
        services = create_services(
            settings,
            store=context.store,
            flows=flows,
            queue=queue,
            locks=RedisLocks(context.redis),
            clock=utcnow,
        )

        async def reload_flows() -> None:
            await loaded.reload_in_thread()

        async def retention() -> None:
            db = context.mongo[settings.mongodb_db]
            await apply_retention(db, utcnow(), settings.retention.message_bodies)

        db = context.mongo[settings.mongodb_db]
        reports = report_jobs(
            settings, MongoReportArchive(db), EmailDeliveries(db), ReportQueue(broker), utcnow
        )
        interval = {
            **_inbound_reconcile(context, services),
            "outbox_sweep": (_SWEEP_EVERY, _outbox_sweep(context, queue)),
            "retention": (_RETENTION_EVERY, retention),
            "task_stream_trim": (_TRIM_EVERY, queue.trim_finished),
            **conversation_jobs(services, context.store, reload_flows),
            **reports.interval,
        }
        yield Jobs(interval=interval, cron=reports.cron, flows=loaded)


def _inbound_reconcile(
    context: WorkerContext, services: Services
) -> dict[str, tuple[timedelta, Job]]:
    """With Twilio: recover the replies whose webhook never reached us (we were down)."""
    settings = context.settings
    if not settings.twilio_enabled:
        return {}
    reconciler = InboundReconciler(
        store=context.store,
        inbox=context.inbox,
        conversations=services.conversations,
        senders=tuple(dict.fromkeys(unit.whatsapp_sender for unit in settings.units)),
        clock=utcnow,
        overlap=settings.conversations.reconcile_overlap,
    )
    return {"inbound_reconcile": (settings.conversations.reconcile_every, reconciler.run)}


def _outbox_sweep(context: WorkerContext, queue: TaskiqQueue) -> Job:
    async def run() -> object:
        return await sweep(
            store=context.store,
            queue=queue,
            messenger=context.messenger,
            breaker=context.breaker,
            settings=context.settings,
            clock=utcnow,
        )

    return run
