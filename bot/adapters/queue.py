"""The TaskQueue port over taskiq: kicks tasks by name, so no process imports worker code.

The tasks live in one Redis stream read by one consumer group (``workers.broker``).
A task is unfinished from its hand-off until a worker acknowledges it: waiting
in the stream, or taken (pending in the group, running or about to). The stream
keeps acknowledged tasks until ``trim_finished`` drops them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from taskiq.kicker import AsyncKicker
from taskiq_redis import RedisStreamBroker

__all__ = ["SEND_MESSAGE", "TaskiqQueue"]

SEND_MESSAGE = "digitaly.send_message"

# A worker blocks at most a second on each read: one silent for longer than this is gone
# (``TaskiqQueue(gone_after=...)``) ... and one silent for an hour is forgotten.
_GONE_AFTER = timedelta(seconds=10)
_FORGOTTEN_MS = 3_600_000


def _decoded(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _id_order(entry_id: str) -> tuple[int, int]:
    ms, seq = entry_id.split("-")
    return int(ms), int(seq)


def _next_id(entry_id: str) -> str:
    """The smallest stream id after ``entry_id``."""
    ms, seq = entry_id.split("-")
    return f"{ms}-{int(seq) + 1}"


class TaskiqQueue:
    def __init__(self, broker: RedisStreamBroker, *, gone_after: timedelta = _GONE_AFTER) -> None:
        self.broker = broker
        self.gone_after_ms = gone_after / timedelta(milliseconds=1)

    async def enqueue_send(self, key: str) -> None:
        """Hand outbox entry ``key`` to a worker (at least once; the sweeper re-hands lost ones)."""
        kicker: AsyncKicker[[str], None] = AsyncKicker(SEND_MESSAGE, self.broker, labels={})
        await kicker.kiq(key)

    async def oldest_unfinished(self) -> datetime | None:
        """When the oldest unfinished task was handed out (Redis's clock); None if there is none."""
        async with Redis(connection_pool=self.broker.connection_pool) as redis:
            oldest, _ = await self._horizon(redis)
        if oldest is None:
            return None
        return datetime.fromtimestamp(int(oldest.split("-")[0]) / 1000, UTC)

    async def trim_finished(self) -> int:
        """Drop finished tasks from the stream (nothing else trims it) and forget long-dead
        workers (their unfinished tasks with them: the sweeper hands those entries out again)."""
        async with Redis(connection_pool=self.broker.connection_pool) as redis:
            oldest, delivered = await self._horizon(redis)
            for consumer in await self._consumers(redis):
                if consumer["idle"] > _FORGOTTEN_MS:
                    await redis.xgroup_delconsumer(
                        self.broker.queue_name,
                        self.broker.consumer_group_name,
                        _decoded(consumer["name"]),
                    )
            keep_from = oldest or (delivered and _next_id(delivered))
            if not keep_from:
                return 0
            return int(
                await redis.xtrim(self.broker.queue_name, minid=keep_from, approximate=False)
            )

    async def _consumers(self, redis: Redis) -> list[dict[str, Any]]:
        try:
            return list(
                await redis.xinfo_consumers(self.broker.queue_name, self.broker.consumer_group_name)
            )
        except ResponseError:  # no stream or no group
            return []

    async def _horizon(self, redis: Redis) -> tuple[str | None, str | None]:
        """(the oldest unfinished task's id, the group's last delivered id); None when none.

        Unfinished: not yet read by any worker, or read by a worker still alive (it asks
        Redis for more every second) and not acknowledged. A dead worker's tasks are
        lost to it; taskiq reclaims them only when new tasks arrive, so they do not count.
        """
        stream, group_name = self.broker.queue_name, self.broker.consumer_group_name
        try:
            groups = await redis.xinfo_groups(stream)
        except ResponseError:  # no stream: nothing handed out since Redis started (or was flushed)
            return None, None
        group = next((g for g in groups if _decoded(g["name"]) == group_name), None)
        if group is None:  # no worker has read yet: every task in the stream waits
            first = await redis.xrange(stream, count=1)
            return (_decoded(first[0][0]) if first else None), None
        delivered = _decoded(group["last-delivered-id"])
        waiting = await redis.xrange(stream, min=f"({delivered}", count=1)
        candidates = [_decoded(waiting[0][0])] if waiting else []
        for consumer in await self._consumers(redis):
            if consumer["pending"] and consumer["idle"] <= self.gone_after_ms:
                [oldest] = await redis.xpending_range(
                    stream, group_name, min="-", max="+", count=1, consumername=consumer["name"]
                )
                candidates.append(_decoded(oldest["message_id"]))
        return min(candidates, key=_id_order, default=None), delivered
