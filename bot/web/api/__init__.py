"""The RPA robot's API (``/api/v1``), its OpenAPI document and its Swagger UI page.

``setup_api(app)`` adds the routes, the per-token rate limiter and the set of
background batches to an application built by ``create_app``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from bot.web.api import (
    appointments,
    cancellations,
    docs,
    openapi,
    operations,
    reports,
    reschedules,
    slots,
)
from bot.web.keys import API_TASKS, OPENAPI, SETTINGS

__all__ = ["setup_api"]

_DRAIN_SECONDS = 10.0


async def _api_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    tasks = app[API_TASKS]
    if tasks:
        # A batch cut short shows as abandoned; the robot pushes it again (it is idempotent).
        _, pending = await asyncio.wait(tuple(tasks), timeout=_DRAIN_SECONDS)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def setup_api(app: web.Application) -> None:
    """Add the robot's API to ``app`` (call once, before the app starts)."""
    app[API_TASKS] = set()
    app[OPENAPI] = openapi.build_openapi(app[SETTINGS])
    app.cleanup_ctx.append(_api_ctx)
    modules = (appointments, cancellations, operations, reports, openapi, docs, slots, reschedules)
    for module in modules:
        app.add_routes(module.routes)
    app.router.add_static(docs.ASSETS, docs.SWAGGER_DIR, append_version=False)
