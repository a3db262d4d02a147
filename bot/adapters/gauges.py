"""The backlog gauges ``/metrics`` shows, read from MongoDB and the task stream in Redis."""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis

from bot import metrics
from bot.core.ports import OutboxState

__all__ = ["refresh_gauges"]

_UNSETTLED = (OutboxState.PENDING, OutboxState.SENDING, OutboxState.UNKNOWN)


async def refresh_gauges(db: AsyncDatabase[dict[str, Any]], redis: Redis, queue: str) -> None:
    """Outbox entries not settled (by state), dead letters, and tasks waiting in ``queue``."""
    counts = await asyncio.gather(
        *(db["outbox"].count_documents({"state": state.value}) for state in _UNSETTLED),
        db["dead_letters"].estimated_document_count(),
    )
    for state, count in zip(_UNSETTLED, counts, strict=False):
        metrics.OUTBOX_BACKLOG.labels(state.value).set(count)
    metrics.DEAD_LETTERS.set(counts[-1])
    groups: list[dict[str, Any]] = await redis.xinfo_groups(queue)
    waiting = sum(int(g.get("lag") or 0) + int(g.get("pending") or 0) for g in groups)
    metrics.QUEUE_DEPTH.set(waiting)
