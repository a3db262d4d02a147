"""The report tasks: build a requested report (then email it), and retry an email.

Registered by ``workers.tasks.register_tasks``; kicked by name (``ReportQueue``),
so the scheduler never imports worker code.
"""

from __future__ import annotations

import logging
from datetime import date

from taskiq import AsyncBroker, TaskiqDepends
from taskiq import Context as TaskiqContext
from taskiq.kicker import AsyncKicker

from bot.adapters.mongo.email_deliveries import EmailDeliveries
from bot.adapters.mongo.report_archive import MongoReportArchive
from bot.adapters.report_mail import deliver
from bot.clock import Clock, utcnow
from bot.core.ports import Store
from bot.settings import Settings
from reports.archive import ReportArchive
from reports.build import NETWORK, build_files, scope_for
from reports.data import ReportKind
from workers.context import WorkerContext

__all__ = ["BUILD_REPORT", "EMAIL_REPORT", "ReportQueue", "build_and_send", "register_report_tasks"]

log = logging.getLogger(__name__)

BUILD_REPORT = "digitaly.build_report"
EMAIL_REPORT = "digitaly.email_report"

_TASK_CONTEXT: TaskiqContext = TaskiqDepends()


class ReportQueue:
    """Kicks the report tasks by name (at least once; the sweep re-kicks what was lost)."""

    def __init__(self, broker: AsyncBroker) -> None:
        self.broker = broker

    async def build(self, report_id: str) -> None:
        kicker: AsyncKicker[[str], None] = AsyncKicker(BUILD_REPORT, self.broker, labels={})
        await kicker.kiq(report_id)

    async def email(self, delivery: str) -> None:
        kicker: AsyncKicker[[str], None] = AsyncKicker(EMAIL_REPORT, self.broker, labels={})
        await kicker.kiq(delivery)


async def build_and_send(
    report_id: str,
    *,
    store: Store,
    archive: ReportArchive,
    deliveries: EmailDeliveries,
    settings: Settings,
    clock: Clock = utcnow,
) -> str:
    """Build and store run ``report_id`` (once), then make the first attempt at its email.

    Returns the email's state ("none" when the report has no recipients).
    """
    day_text, unit_key, kind_text = report_id.split(".")
    unit = None if unit_key == NETWORK else unit_key
    kind = ReportKind(kind_text)
    stored = await archive.get(report_id)
    if stored is None or stored.state != "stored":
        built = await build_files(
            store, settings, day=date.fromisoformat(day_text), unit=unit, kind=kind, now=clock()
        )
        stored = await archive.store(built, kind, clock())
        log.info("report stored", extra={"report": report_id, "pages": stored.pages})
    recipients = scope_for(settings, unit).recipients
    if not recipients:
        return "none"
    delivery = await deliveries.add(report_id, recipients, clock())
    return await deliver(
        delivery.id, archive=archive, deliveries=deliveries, settings=settings, now=clock()
    )


def register_report_tasks(broker: AsyncBroker) -> None:
    """Register the report tasks (the worker context is opened by ``register_tasks``)."""

    def parts(task: TaskiqContext) -> tuple[WorkerContext, ReportArchive, EmailDeliveries]:
        context: WorkerContext = task.state.context
        db = context.mongo[context.settings.mongodb_db]
        return context, MongoReportArchive(db), EmailDeliveries(db)

    async def build_report(report_id: str, task: TaskiqContext = _TASK_CONTEXT) -> None:
        """Build, store and email one requested report (idempotent)."""
        context, archive, deliveries = parts(task)
        await build_and_send(
            report_id,
            store=context.store,
            archive=archive,
            deliveries=deliveries,
            settings=context.settings,
        )

    async def email_report(delivery: str, task: TaskiqContext = _TASK_CONTEXT) -> None:
        """One attempt at a report email; a failure is rescheduled, never raised."""
        context, archive, deliveries = parts(task)
        await deliver(
            delivery,
            archive=archive,
            deliveries=deliveries,
            settings=context.settings,
            now=utcnow(),
        )

    broker.register_task(build_report, task_name=BUILD_REPORT)
    broker.register_task(email_report, task_name=EMAIL_REPORT)
