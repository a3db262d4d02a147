"""The operator's port of a worker or scheduler: ``/healthz``, ``/readyz``, ``/metrics``.

Workers and schedulers serve no pages, but Prometheus scrapes them (send counts,
send latency and reminder lag are counted where the send happens: in the
worker) and orchestrators probe them. Same handlers as the web process's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

from aiohttp import web

from bot.web import health, observability
from bot.web.in_flight import InFlight
from bot.web.keys import GAUGES, IN_FLIGHT, OPERATOR_PORT, PROBES, SCHEMA_READY

__all__ = ["create_ops_app"]

log = logging.getLogger(__name__)

_SCHEMA_POLL_SECONDS = 1.0

Probe = Callable[[], Awaitable[object]]


def create_ops_app(
    probes: Mapping[str, Probe],
    *,
    schema_current: Callable[[], Awaitable[bool]],
    gauges: Callable[[], Awaitable[None]],
) -> web.Application:
    """The small app on ``METRICS_PORT``: ready once every probe answers and the schema is current."""
    app = web.Application()
    app[PROBES] = probes
    app[GAUGES] = gauges
    app[SCHEMA_READY] = {}
    app[OPERATOR_PORT] = True
    app[IN_FLIGHT] = InFlight()

    async def watch_schema(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_wait_for_schema(app[SCHEMA_READY], schema_current))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def settle_probes(app: web.Application) -> None:
        await app[IN_FLIGHT].close()  # before ops_site closes the clients they use

    app.cleanup_ctx.append(watch_schema)
    app.on_cleanup.append(settle_probes)
    app.add_routes(health.routes)
    app.add_routes(observability.routes)
    return app


async def _wait_for_schema(ready: dict[str, bool], current: Callable[[], Awaitable[bool]]) -> None:
    """The process's own start-up applies migrations; readiness waits until they are recorded."""
    while True:
        try:
            if await current():
                ready["mongodb"] = True
                return
        except Exception as exc:
            log.debug("schema not checked yet", extra={"error": type(exc).__name__})
        await asyncio.sleep(_SCHEMA_POLL_SECONDS)
