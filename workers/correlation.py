"""The correlation id crosses the queue in a task label.

A webhook's log lines carry its MessageSid; a scheduler scan's, the scan's id.
Whatever a task was kicked from, its worker logs under the same id, so one
patient's reply reads as one story across processes (docs/operations.md).
"""

from __future__ import annotations

import secrets

from taskiq import TaskiqMessage, TaskiqMiddleware

from bot.logs import correlation_id

__all__ = ["LABEL", "CorrelationMiddleware", "new_scan_id"]

LABEL = "correlation_id"


def new_scan_id(job: str) -> str:
    """The id of one run of a scheduled job: its name and a random suffix."""
    return f"{job}-{secrets.token_hex(6)}"


class CorrelationMiddleware(TaskiqMiddleware):
    """Kick side: label the task with the current id. Worker side: log under it."""

    def pre_send(self, message: TaskiqMessage) -> TaskiqMessage:
        current = correlation_id.get()
        if current is not None:
            message.labels.setdefault(LABEL, current)
        return message

    def pre_execute(self, message: TaskiqMessage) -> TaskiqMessage:
        # Each task runs in its own asyncio task: the id set here stays with it.
        given = message.labels.get(LABEL)
        correlation_id.set(str(given) if given else f"task-{message.task_id}")
        return message
