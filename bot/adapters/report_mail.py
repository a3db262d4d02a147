"""Emailing stored reports (SMTP, or a mail folder), with retries that never lose one.

One ``email_deliveries`` document per (report, recipient list): ``pending``
until an attempt succeeds (``sent``) or the budget runs out (``failed``: a
person looks; the report itself stays downloadable). An attempt first pushes
``next_attempt_at`` forward by a lease, with a compare-and-set on
``attempts``, so two workers never send the same attempt; a worker that dies
mid-send leaves the lease to expire and the scheduler's sweep kicks it again.
An email may thus go twice (a crash after the server accepted it), never zero
times.
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from bot.adapters.mongo.email_deliveries import EmailDeliveries
from bot.core.model import EmailDeliveryState
from bot.settings import Settings
from reports.archive import FORMATS, ReportArchive
from reports.build import NETWORK, scope_for
from reports.email import Attachment, compose, send

__all__ = ["deliver"]

log = logging.getLogger(__name__)


async def deliver(
    key: str,
    *,
    archive: ReportArchive,
    deliveries: EmailDeliveries,
    settings: Settings,
    now: datetime,
) -> str:
    """One attempt at delivery ``key``; returns its state afterwards (pending, sent, failed)."""
    current = await deliveries.get(key)
    if current is None or current.state != EmailDeliveryState.PENDING:
        return current.state if current else "missing"
    if not await deliveries.claim(current, now):
        return EmailDeliveryState.PENDING
    attempt = current.attempts + 1
    stored = await archive.get(current.report_id)
    if stored is None or stored.state != "stored":
        return await deliveries.mark_failed(key, attempt, now, "report not stored yet")
    attachments = []
    for fmt in FORMATS:
        found = await archive.read(stored.id, fmt)
        if found is not None:
            file, data = found
            attachments.append(Attachment(file.filename, FORMATS[fmt], data))
    unit = None if stored.unit in (None, NETWORK) else stored.unit
    scope = scope_for(settings, unit)
    message = compose(
        clinic=settings.clinic.name,
        scope=scope.name if unit else settings.clinic.name,
        day=stored.date,
        kind=stored.kind,
        totals=stored.totals or {},
        sender=settings.reports.sender,
        recipients=current.recipients,
        attachments=attachments,
    )
    try:
        await _send(message, settings)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        state = await deliveries.mark_failed(key, attempt, now, type(exc).__name__)
        log_at = log.error if state == EmailDeliveryState.FAILED else log.warning
        log_at(
            "report email not sent",
            extra={"report": stored.id, "attempt": attempt, "state": state,
                   "error": type(exc).__name__},
        )  # fmt: skip
        return state
    await deliveries.mark_sent(key, now)
    log.info("report emailed", extra={"report": stored.id, "attempt": attempt})
    return EmailDeliveryState.SENT


async def _send(message: EmailMessage, settings: Settings) -> None:
    """By SMTP when SMTP_URL is set; otherwise into a mail folder on disk (``make run``)."""
    if settings.smtp_url is not None:
        await send(message, settings.smtp_url.get_secret_value())
        return
    folder = Path(settings.data_dir) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    name = str(message["Message-ID"]).strip("<>").replace("@", "_")
    (folder / f"{name}.eml").write_bytes(message.as_bytes())
