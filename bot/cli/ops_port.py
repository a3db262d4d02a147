"""The operator's port (``METRICS_PORT``) of a worker or scheduler, wired to real clients."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from redis.asyncio import Redis

from bot.adapters.gauges import refresh_gauges
from bot.adapters.mongo import connect_store, ping, schema_current
from bot.core.errors import BotError
from bot.settings import Settings
from bot.web.ops import create_ops_app
from workers.broker import QUEUE

__all__ = ["DEFAULT_METRICS_PORT", "metrics_port", "ops_site"]

log = logging.getLogger("digitaly")

# Prometheus's registry of default ports lists 9100 for node_exporter; one process
# per container is the rule, so the clash is only on a shared host (set METRICS_PORT).
DEFAULT_METRICS_PORT = 9100


def metrics_port(settings: Settings, *, web: bool) -> int | None:
    """Where this process serves its health and metrics, if anywhere.

    A web process already answers them on ``PORT``; it opens ``METRICS_PORT`` too
    only when asked (the image sets it, so every container is probed the same way).
    """
    if settings.metrics_port is not None:
        return settings.metrics_port
    return None if web else DEFAULT_METRICS_PORT


@asynccontextmanager
async def ops_site(settings: Settings, port: int) -> AsyncIterator[str]:
    """Serve ``/healthz``, ``/readyz`` and ``/metrics`` on ``port`` (0: any free one)."""
    assert settings.redis_url is not None, "REDIS_URL is resolved by the composition root"
    opened = connect_store(settings)
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)

    async def ping_mongodb() -> object:
        return await ping(opened.db)

    async def ping_redis() -> object:
        return await redis.ping()

    async def current() -> bool:
        return await schema_current(opened.db)

    async def gauges() -> None:
        await refresh_gauges(opened.db, redis, QUEUE)

    app = create_ops_app(
        {"mongodb": ping_mongodb, "redis": ping_redis}, schema_current=current, gauges=gauges
    )
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, port)
        try:
            await site.start()
        except OSError as exc:
            raise BotError(
                f"cannot listen on {settings.host}:{port} (METRICS_PORT): {exc.strerror}"
            ) from None
        host, bound = runner.addresses[0][:2]
        address = f"http://{host}:{bound}"
        log.info("metrics listening", extra={"address": address})
        # Like web's "running at" line: with METRICS_PORT=0 this is how to find the port.
        print(f"Health and metrics at {address}/metrics", flush=True)
        yield address
    finally:
        await runner.cleanup()
        await opened.client.close()
        await redis.aclose()
