"""The taskiq broker: one Redis stream, acknowledged after the task ran.

``RedisStreamBroker``, not ``ListQueueBroker`` (which loses a task whose worker
dies). A killed worker's task is reclaimed after ``idle_timeout``; the outbox
sweeper in the scheduler is what guarantees delivery either way.
"""

from __future__ import annotations

from taskiq import AsyncBroker
from taskiq_redis import RedisStreamBroker

from bot.settings import Settings

__all__ = ["QUEUE", "create_broker"]

QUEUE = "digitaly:tasks"

# Longer than any task (a send times out after 15 s; a report takes seconds).
_IDLE_TIMEOUT_MS = 60_000
_LOCK_TIMEOUT_S = 30.0


def create_broker(settings: Settings, *, queue: str = QUEUE) -> AsyncBroker:
    """A broker bound to ``REDIS_URL``; tasks are registered by ``workers.tasks``."""
    assert settings.redis_url is not None, "REDIS_URL is resolved by the composition root"
    return RedisStreamBroker(
        settings.redis_url,
        queue_name=queue,
        consumer_group_name="digitaly-workers",
        # "0", not "$": tasks kicked before the first worker created the group are kept.
        consumer_id="0",
        idle_timeout=_IDLE_TIMEOUT_MS,
        unacknowledged_lock_timeout=_LOCK_TIMEOUT_S,
        xread_block=1000,
    )
