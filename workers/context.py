"""What a task or a scheduled job needs, opened once per process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from bot.adapters.circuit import RedisCircuitBreaker
from bot.adapters.messenger import create_messenger
from bot.adapters.mongo import open_store
from bot.adapters.ratelimit import RedisRateLimiter
from bot.core.ports import CircuitBreaker, Inbox, Messenger, RateLimiter, Store
from bot.settings import Settings

__all__ = ["WorkerContext", "open_context"]


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
    async with open_store(settings) as opened:
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
