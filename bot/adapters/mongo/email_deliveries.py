"""Report emails still to send, in MongoDB (``email_deliveries``): a small outbox of its own.

One document per (report, recipient list): ``pending`` until an attempt
succeeds (``sent``) or the budget runs out (``failed``: a person looks; the
report itself stays downloadable). An attempt first pushes ``next_attempt_at``
forward by a lease, with a compare-and-set on ``attempts``, so two workers never
send the same attempt. Retries follow the outbox's rule
(:func:`bot.core.outbox.retry_or_give_up`) with the email's own budget.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from bot.core.model import EmailDeliveryState
from bot.core.outbox import GiveUp, RetryPolicy, retry_or_give_up

__all__ = ["LEASE", "MAX_ATTEMPTS", "EmailDeliveries", "EmailDelivery", "delivery_id"]

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
    state: EmailDeliveryState
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
        state=EmailDeliveryState(doc["state"]),
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
                    "state": EmailDeliveryState.PENDING,
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
                "_id": current.id, "state": EmailDeliveryState.PENDING, "attempts": current.attempts,
                "next_attempt_at": {"$lte": now},
            },
            {"$set": {"next_attempt_at": now + LEASE}, "$inc": {"attempts": 1}},
        )  # fmt: skip
        return result.modified_count == 1

    async def mark_sent(self, key: str, at: datetime) -> None:
        await self.collection.update_one(
            {"_id": key},
            {
                "$set": {
                    "state": EmailDeliveryState.SENT,
                    "sent_at": at,
                    "last_error": None,
                    "next_attempt_at": None,
                }
            },
        )

    async def mark_failed(
        self, key: str, attempts: int, now: datetime, error: str
    ) -> EmailDeliveryState:
        """Schedule the next attempt with backoff, or give up after MAX_ATTEMPTS; the new state."""
        retry = retry_or_give_up(attempts, RETRY, now, None, rand=lambda: 1.0)
        if isinstance(retry, GiveUp):
            state = EmailDeliveryState.FAILED
            change: Doc = {"state": state, "last_error": error, "next_attempt_at": None}
        else:
            state = EmailDeliveryState.PENDING
            change = {"last_error": error, "next_attempt_at": retry.at}
        await self.collection.update_one(
            {"_id": key, "state": EmailDeliveryState.PENDING}, {"$set": change}
        )
        return state

    async def due(self, now: datetime, limit: int = 100) -> list[EmailDelivery]:
        cursor = (
            self.collection.find(
                {"state": EmailDeliveryState.PENDING, "next_attempt_at": {"$lte": now}}
            )
            .sort("next_attempt_at", ASCENDING)
            .limit(limit)
        )
        return [_delivery(doc) async for doc in cursor]
