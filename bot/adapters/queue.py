"""The TaskQueue port over taskiq: kicks tasks by name, so no process imports worker code."""

from __future__ import annotations

from taskiq import AsyncBroker
from taskiq.kicker import AsyncKicker

__all__ = ["SEND_MESSAGE", "TaskiqQueue"]

SEND_MESSAGE = "digitaly.send_message"


class TaskiqQueue:
    def __init__(self, broker: AsyncBroker) -> None:
        self.broker = broker

    async def enqueue_send(self, key: str) -> None:
        """Hand outbox entry ``key`` to a worker (at least once; the sweeper re-hands lost ones)."""
        kicker: AsyncKicker[[str], None] = AsyncKicker(SEND_MESSAGE, self.broker, labels={})
        await kicker.kiq(key)
