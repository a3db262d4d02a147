"""Task registration: each task is a few lines that call a service.

Tasks get their dependencies from the :class:`WorkerContext` opened at worker
start-up (``broker.state.context``); nothing global.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from taskiq import AsyncBroker, TaskiqDepends, TaskiqEvents, TaskiqState
from taskiq import Context as TaskiqContext

from bot.adapters.queue import SEND_MESSAGE
from bot.clock import utcnow
from bot.services.outbox import send_entry
from bot.settings import Settings
from workers.context import WorkerContext, open_context
from workers.report_tasks import register_report_tasks

__all__ = ["register_tasks", "worker_context"]

_TASK_CONTEXT: TaskiqContext = TaskiqDepends()  # taskiq injects the running task's Context here


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

    async def send_message(key: str, task: TaskiqContext = _TASK_CONTEXT) -> None:
        """One attempt at outbox entry ``key``; retries are scheduled by the outbox, not here."""
        context = worker_context(task.state)
        await send_entry(
            key,
            store=context.store,
            messenger=context.messenger,
            limiter=context.limiter,
            breaker=context.breaker,
            settings=context.settings,
            clock=utcnow,
        )

    broker.register_task(send_message, task_name=SEND_MESSAGE)
    register_report_tasks(broker)
