"""The taskiq broker: one Redis stream, acknowledged after the task ran.

``RedisStreamBroker``, not ``ListQueueBroker`` (which loses a task whose worker
dies). A killed worker's task is reclaimed after ``idle_timeout``; the outbox
sweeper in the scheduler is what guarantees delivery either way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from taskiq import AckableMessage, BrokerMessage
from taskiq_redis import RedisStreamBroker

from bot.adapters.redis_batch import defer
from bot.settings import Settings
from bot.tracing import task_middlewares
from workers.correlation import CorrelationMiddleware

__all__ = ["QUEUE", "create_broker"]

log = logging.getLogger(__name__)

QUEUE = "digitaly:tasks"

# Longer than any task (a send times out after 15 s; a report takes seconds).
_IDLE_TIMEOUT_MS = 60_000
_LOCK_TIMEOUT_S = 30.0


_RECONNECT_SECONDS = 1.0


class _StreamBroker(RedisStreamBroker):
    """Keeps listening through a flushed or restarted Redis.

    taskiq-redis's listen() ends the worker on the first Redis error: a flushed
    Redis (no consumer group: NOGROUP) or a restart would silently stop all
    sending. Lost tasks are the outbox sweeper's business; this only keeps the
    worker consuming.
    """

    async def kick(self, message: BrokerMessage) -> None:
        """Add the task to the stream; while this task holds a lock, with the lock's release
        (one round trip for both, :mod:`bot.adapters.redis_batch`)."""
        stream = message.labels.get("queue_name") or self.queue_name
        fields = {b"data": message.message}

        def add(pipe: Any) -> object:  # what RedisStreamBroker.kick sends
            return pipe.xadd(stream, fields, maxlen=self.maxlen, approximate=self.approximate)

        if not defer(add):
            await super().kick(message)

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        while True:
            try:
                async for message in super().listen():
                    yield message
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                log.warning("task stream or group gone (Redis flushed?); recreating it")
                await self._declare_consumer_group()
            except (RedisConnectionError, RedisTimeoutError) as exc:
                log.warning("redis unavailable; reconnecting", extra={"error": type(exc).__name__})
                await asyncio.sleep(_RECONNECT_SECONDS)


def create_broker(settings: Settings, *, queue: str = QUEUE) -> RedisStreamBroker:
    """A broker bound to ``REDIS_URL``; tasks are registered by ``workers.tasks``."""
    assert settings.redis_url is not None, "REDIS_URL is resolved by the composition root"
    broker = _StreamBroker(
        settings.redis_url,
        queue_name=queue,
        consumer_group_name="digitaly-workers",
        # "0", not "$": tasks kicked before the first worker created the group are kept.
        consumer_id="0",
        idle_timeout=_IDLE_TIMEOUT_MS,
        unacknowledged_lock_timeout=_LOCK_TIMEOUT_S,
        xread_block=1000,
    )
    # With tracing on, taskiq's OpenTelemetry middleware carries the trace in the labels too.
    return broker.with_middlewares(CorrelationMiddleware(), *task_middlewares())
