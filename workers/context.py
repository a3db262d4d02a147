"""What a task or a scheduled job needs, opened once per process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure
from redis.asyncio import Redis

from bot.adapters.circuit import RedisCircuitBreaker
from bot.adapters.messenger import create_messenger
from bot.adapters.mongo import ensure_schema, open_store
from bot.adapters.ratelimit import RedisRateLimiter
from bot.core.ports import CircuitBreaker, Inbox, Messenger, RateLimiter, Store
from bot.settings import Settings

__all__ = ["WorkerContext", "apply_schema", "open_context"]

log = logging.getLogger(__name__)

_SCHEMA_RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class WorkerContext:
    settings: Settings
    store: Store
    mongo: AsyncMongoClient[dict[str, Any]]
    redis: Redis
    messenger: Messenger
    inbox: Inbox  # the same channel: what patients sent, as the provider recorded it
    limiter: RateLimiter
    breaker: CircuitBreaker


@asynccontextmanager
async def open_context(settings: Settings) -> AsyncIterator[WorkerContext]:
    """Connect to MongoDB and Redis (in the running loop); make sure the schema exists."""
    assert settings.redis_url is not None
    async with open_store(settings, schema=False) as opened:
        await schema_once_mongodb_answers(opened.db)
        redis = Redis.from_url(settings.redis_url)
        messenger = create_messenger(settings, opened.db)
        try:
            yield WorkerContext(
                settings=settings,
                store=opened.store,
                mongo=opened.client,
                redis=redis,
                messenger=messenger,
                inbox=messenger,
                limiter=RedisRateLimiter(
                    redis,
                    rate=settings.rate_limits.messages_per_second,
                    burst=settings.rate_limits.burst,
                    in_flight=settings.sending.request_timeout.total_seconds(),
                ),
                breaker=RedisCircuitBreaker(
                    redis,
                    failures=settings.sending.circuit_failures,
                    reset=settings.sending.circuit_reset,
                ),
            )
        finally:
            await messenger.aclose()
            await redis.aclose()


async def apply_schema(settings: Settings) -> None:
    """Apply the schema once, on a client of its own, waiting for MongoDB to answer."""
    async with open_store(settings, schema=False) as opened:
        await schema_once_mongodb_answers(opened.db)


async def schema_once_mongodb_answers(db: AsyncDatabase[dict[str, Any]]) -> None:
    """Apply the schema, waiting for MongoDB as the web part does (``bot.web.app``).

    Just after a crash the server may take longer than one server selection (5 s)
    to answer: the worker and scheduler wait for it rather than end the process.
    """
    while True:
        try:
            await ensure_schema(db)
        except ConnectionFailure as exc:
            log.warning("mongodb not ready; retrying", extra={"error": type(exc).__name__})
            await asyncio.sleep(_SCHEMA_RETRY_SECONDS)
        else:
            return
