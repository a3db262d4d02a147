"""Task registration: each task is a few lines that call a service.

Tasks get their dependencies from the :class:`WorkerContext` opened at worker
start-up (``broker.state.context``); nothing global.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from taskiq import AsyncBroker, TaskiqEvents, TaskiqState

from bot.settings import Settings
from workers.context import WorkerContext, open_context

__all__ = ["register_tasks", "worker_context"]


def worker_context(state: TaskiqState) -> WorkerContext:
    context: WorkerContext = state.context
    return context


def register_tasks(broker: AsyncBroker, settings: Settings) -> None:
    """Open the worker context on start-up and register every task on ``broker``."""

    async def startup(state: TaskiqState) -> None:
        stack = AsyncExitStack()
        state.context = await stack.enter_async_context(open_context(settings))
        state.stack = stack

    async def shutdown(state: TaskiqState) -> None:
        await state.stack.aclose()

    broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, startup)
    broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, shutdown)
