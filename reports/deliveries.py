"""Emailing stored reports, with retries that never lose one.

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

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from bot.core.outbox import GiveUp, RetryPolicy, retry_or_give_up
from bot.settings import Settings
from reports.build import NETWORK, scope_for
from reports.email import Attachment, compose, send
from reports.storage import FORMATS, ReportArchive

__all__ = ["EmailDeliveries", "EmailDelivery", "deliver", "delivery_id"]

log = logging.getLogger(__name__)

Doc = dict[str, Any]
COLLECTION = "email_deliveries"
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)  # longer than one SMTP attempt (30 s timeout)
# The outbox's retry rule with the email's own budget; no jitter (few emails, one sender).
RETRY = RetryPolicy(MAX_ATTEMPTS, backoff_base=timedelta(minutes=1), backoff_cap=timedelta(hours=1))


def delivery_id(report_id: str, recipients: Sequence[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(recipients)).encode()).hexdigest()[:12]
    return f"{report_id}:{digest}"


@dataclass(frozen=True, slots=True)
class EmailDelivery:
    id: str
    report_id: str
    recipients: tuple[str, ...]
    state: str  # pending | sent | failed
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = None


def _delivery(doc: Doc) -> EmailDelivery:
    return EmailDelivery(
        id=doc["_id"],
        report_id=doc["report_id"],
        recipients=tuple(doc["recipients"]),
        state=doc["state"],
        attempts=int(doc["attempts"]),
        next_attempt_at=doc.get("next_attempt_at"),
        created_at=doc["created_at"],
        sent_at=doc.get("sent_at"),
        last_error=doc.get("last_error"),
    )


class EmailDeliveries:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.collection = db[COLLECTION]

    async def add(self, report_id: str, recipients: Sequence[str], at: datetime) -> EmailDelivery:
        """Record the email to send (idempotent per report and recipient list)."""
        key = delivery_id(report_id, recipients)
        await self.collection.update_one(
            {"_id": key},
            {
                "$setOnInsert": {
                    "report_id": report_id,
                    "recipients": sorted(recipients),
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": at,
                    "created_at": at,
                }
            },
            upsert=True,
        )
        found = await self.get(key)
        assert found is not None
        return found

    async def get(self, key: str) -> EmailDelivery | None:
        doc = await self.collection.find_one({"_id": key})
        return _delivery(doc) if doc else None

    async def for_report(self, report_id: str) -> list[EmailDelivery]:
        return [_delivery(doc) async for doc in self.collection.find({"report_id": report_id})]

    async def claim(self, current: EmailDelivery, now: datetime) -> bool:
        """Take the next attempt (a lease of LEASE); False when it is not due or someone has it."""
        result = await self.collection.update_one(
            {
                "_id": current.id, "state": "pending", "attempts": current.attempts,
                "next_attempt_at": {"$lte": now},
            },
            {"$set": {"next_attempt_at": now + LEASE}, "$inc": {"attempts": 1}},
        )  # fmt: skip
        return result.modified_count == 1

    async def mark_sent(self, key: str, at: datetime) -> None:
        await self.collection.update_one(
            {"_id": key},
            {"$set": {"state": "sent", "sent_at": at, "last_error": None, "next_attempt_at": None}},
        )

    async def mark_failed(self, key: str, attempts: int, now: datetime, error: str) -> str:
        """Schedule the next attempt with backoff, or give up after MAX_ATTEMPTS; the new state."""
        retry = retry_or_give_up(attempts, RETRY, now, None, rand=lambda: 1.0)
        if isinstance(retry, GiveUp):
            change: Doc = {"state": "failed", "last_error": error, "next_attempt_at": None}
        else:
            change = {"last_error": error, "next_attempt_at": retry.at}
        await self.collection.update_one({"_id": key, "state": "pending"}, {"$set": change})
        return str(change.get("state", "pending"))

    async def due(self, now: datetime, limit: int = 100) -> list[EmailDelivery]:
        cursor = (
            self.collection.find({"state": "pending", "next_attempt_at": {"$lte": now}})
            .sort("next_attempt_at", ASCENDING)
            .limit(limit)
        )
        return [_delivery(doc) async for doc in cursor]


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
    if current is None or current.state != "pending":
        return current.state if current else "missing"
    if not await deliveries.claim(current, now):
        return "pending"
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
        log_at = log.error if state == "failed" else log.warning
        log_at(
            "report email not sent",
            extra={"report": stored.id, "attempt": attempt, "state": state,
                   "error": type(exc).__name__},
        )  # fmt: skip
        return state
    await deliveries.mark_sent(key, now)
    log.info("report emailed", extra={"report": stored.id, "attempt": attempt})
    return "sent"


async def _send(message: EmailMessage, settings: Settings) -> None:
    """By SMTP when SMTP_URL is set; otherwise into a mail folder on disk (``make run``)."""
    if settings.smtp_url is not None:
        await send(message, settings.smtp_url.get_secret_value())
        return
    folder = Path(settings.data_dir) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    name = str(message["Message-ID"]).strip("<>").replace("@", "_")
    (folder / f"{name}.eml").write_bytes(message.as_bytes())
