"""The composition root of the web process: ``create_app(settings, overrides=...)``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from bot.adapters.console_reads import ConsoleReads
from bot.adapters.flow_files import FlowDirectory
from bot.adapters.gauges import refresh_gauges
from bot.adapters.locks import RedisLocks
from bot.adapters.model_fitting import ChildFitter
from bot.adapters.mongo import MongoStore, connect_store, ensure_schema, ping
from bot.adapters.mongo.report_archive import MongoReportArchive
from bot.adapters.queue import TaskiqQueue
from bot.adapters.ratelimit import RedisRateLimiter
from bot.adapters.signing import signing_key
from bot.adapters.staff import StaffDirectory
from bot.adapters.template_check import check_in_child
from bot.adapters.throttle import RedisLoginThrottle
from bot.clock import utcnow
from bot.core.errors import ConfigError
from bot.settings import Settings
from bot.web import health, observability, twilio
from bot.web.api import setup_api
from bot.web.errors import SERVER_LOG, error_middleware
from bot.web.guards import guard_middleware, secure_headers
from bot.web.in_flight import InFlight
from bot.web.keys import (
    API_LIMITER,
    ARCHIVE,
    CLOCK,
    CONVERSATIONS,
    DB,
    FLOWS,
    GAUGES,
    IN_FLIGHT,
    LOGIN_THROTTLE,
    MONGO,
    PROBES,
    QUEUE,
    READS,
    REDIS,
    REMINDERS,
    RESCHEDULES,
    SCHEMA_READY,
    SETTINGS,
    SIGNING_KEY,
    STAFF,
    STORE,
    TEMPLATE_CHECK,
    TEMPLATE_PROBLEMS,
    TURNS,
    WAITLIST,
)
from bot.web.observability import observe_middleware
from bot.web.pages import setup_pages
from bot.wiring import create_services
from workers.broker import QUEUE as BROKER_QUEUE
from workers.broker import create_broker

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def _server_limits(settings: Settings) -> dict[str, Any]:
    """aiohttp's own connection settings (bot.web.connections, docs/operations.md).

    keepalive_timeout is also the deadline for a request's head. No lingering:
    a body the handler did not read closes the connection rather than keeping a
    slow client around to drain it.
    """
    return {
        "keepalive_timeout": settings.web_limits.header_timeout.total_seconds(),
        "lingering_time": 0.0,
        "max_line_size": 8190,
        "max_field_size": 8190,
        "max_headers": 64,
        "logger": SERVER_LOG,
    }


_SCHEMA_RETRY_SECONDS = 1.0
_SCHEMA_WAIT_LOG_SECONDS = 30.0
_FLOW_RELOAD_SECONDS = 2.0
_TURN_DRAIN_SECONDS = 10.0


async def _mongo_ctx(app: web.Application) -> AsyncIterator[None]:
    owned = MONGO not in app
    opened = connect_store(app[SETTINGS], None if owned else app[MONGO])
    app[MONGO] = opened.client
    if DB not in app:
        app[DB] = opened.db
    if STORE not in app:
        app[STORE] = opened.store
    if ARCHIVE not in app:
        app[ARCHIVE] = MongoReportArchive(app[DB])
    app[STAFF] = StaffDirectory(app[DB])
    store = app[STORE]
    # Personal fields are sealed in MongoDB: read them the way the store writes them.
    app[READS] = ConsoleReads(app[DB], store.sealer if isinstance(store, MongoStore) else None)
    schema = asyncio.create_task(_create_schema(app))
    yield
    schema.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await schema
    if owned:
        await app[MONGO].close()


async def _create_schema(app: web.Application) -> None:
    """Create indexes as soon as MongoDB answers; it may come up after us."""
    while True:
        try:
            await _logging_a_long_wait(ensure_schema(app[DB]))
        except Exception as exc:
            log.warning("mongodb not ready; retrying", extra={"error": type(exc).__name__})
            await asyncio.sleep(_SCHEMA_RETRY_SECONDS)
        else:
            app[SCHEMA_READY]["mongodb"] = True
            return


async def _logging_a_long_wait(step: Awaitable[object]) -> None:
    """Await ``step``, saying every 30 s that it still waits (it is never cancelled for that)."""
    task = asyncio.ensure_future(step)
    waited = 0.0
    try:
        while not (await asyncio.wait((task,), timeout=_SCHEMA_WAIT_LOG_SECONDS))[0]:
            waited += _SCHEMA_WAIT_LOG_SECONDS
            log.warning(
                "schema creation still waiting for MongoDB", extra={"waited_seconds": waited}
            )
    finally:
        if not task.done():  # shutdown: the task that awaits this was cancelled
            task.cancel()
            await asyncio.wait((task,))
    task.result()


async def _flows_ctx(app: web.Application) -> AsyncIterator[None]:
    """Load the flow files, then pick up edits while running (a bad edit is refused)."""
    if FLOWS not in app:
        directory = FlowDirectory(app[SETTINGS].flows_dir, ChildFitter())
        await directory.load_at_start()
        app[FLOWS] = directory
        watcher = asyncio.create_task(_watch_flows(directory))
        yield
        directory.stop_fitting()  # a reload in its thread must not hold the shutdown
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    else:
        yield


async def _watch_flows(directory: FlowDirectory) -> None:
    while True:
        await asyncio.sleep(_FLOW_RELOAD_SECONDS)
        try:
            await directory.reload_in_thread()
        except Exception:
            log.exception("flow reload failed; the loaded versions keep serving")


async def _queue_ctx(app: web.Application) -> AsyncIterator[None]:
    if QUEUE in app:
        yield
        return
    broker = create_broker(app[SETTINGS])
    app[QUEUE] = TaskiqQueue(broker)
    yield
    await broker.shutdown()


async def _services_ctx(app: web.Application) -> AsyncIterator[None]:
    # The turn's locks: a client of their own, a deadline per round trip (bot.adapters.locks).
    url = app[SETTINGS].redis_url
    locks = RedisLocks.from_url(url) if url else RedisLocks(app[REDIS])
    services = create_services(
        app[SETTINGS],
        store=app[STORE],
        flows=app[FLOWS],
        queue=app[QUEUE],
        locks=locks,
        clock=app[CLOCK],
    )
    app[CONVERSATIONS] = services.conversations
    app[REMINDERS] = services.reminders
    app[RESCHEDULES] = services.reschedules
    app[WAITLIST] = services.waitlist
    app[TURNS] = set[asyncio.Task[None]]()
    yield
    # Let turns that already answered their webhook finish; the recovery scan covers the rest.
    turns = app[TURNS]
    if turns:
        await asyncio.wait(tuple(turns), timeout=_TURN_DRAIN_SECONDS)
    await locks.aclose()


async def _templates_ctx(app: web.Application) -> AsyncIterator[None]:
    """With Twilio configured, check the flows' templates once at start (a warning, not a refusal)."""
    app[TEMPLATE_PROBLEMS] = []
    if not app[SETTINGS].twilio_enabled:
        yield
        return
    task = asyncio.create_task(_check_templates(app))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _check_templates(app: web.Application) -> None:
    # In a child: twilio-python's REST client would stay resident here for this one check.
    problems = await app.get(TEMPLATE_CHECK, check_in_child)(app[SETTINGS])
    app[TEMPLATE_PROBLEMS][:] = problems
    if problems:
        log.warning(
            "flow templates do not match Twilio: run `digitaly templates check`",
            extra={"problems": len(problems)},
        )


async def _redis_ctx(app: web.Application) -> AsyncIterator[None]:
    owned = REDIS not in app
    if owned:
        url = app[SETTINGS].redis_url
        assert url is not None
        app[REDIS] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    api = app[SETTINGS].api
    app[API_LIMITER] = RedisRateLimiter(
        app[REDIS],
        rate=api.requests_per_minute / 60,
        burst=api.burst,
        prefix="digitaly:api:",
    )
    if LOGIN_THROTTLE not in app:
        app[LOGIN_THROTTLE] = RedisLoginThrottle(app[REDIS])
    db, redis = app[DB], app[REDIS]

    async def ping_mongodb() -> object:
        return await ping(db)

    async def ping_redis() -> object:
        return await redis.ping()

    async def gauges() -> None:
        await refresh_gauges(db, redis, BROKER_QUEUE)

    app[PROBES] = {"mongodb": ping_mongodb, "redis": ping_redis}
    app[GAUGES] = gauges
    yield
    await app[IN_FLIGHT].close()  # before the clients the probes use close
    if owned:
        await app[REDIS].aclose()


def create_app(
    settings: Settings, *, overrides: Mapping[web.AppKey[Any], Any] | None = None
) -> web.Application:
    """Build the web application; every shared object lives on it under a typed key.

    ``overrides`` replaces any of them (a clock, a client) before start-up.
    """
    overrides = dict(overrides or {})
    if settings.mongodb_url is None and MONGO not in overrides:
        raise ConfigError("MONGODB_URL is not set (digitaly run starts an embedded server)")
    if settings.redis_url is None and REDIS not in overrides:
        raise ConfigError("REDIS_URL is not set (digitaly run starts an embedded server)")
    app = web.Application(
        middlewares=[
            observe_middleware,
            guard_middleware,
            error_middleware,
        ],
        handler_args=_server_limits(settings),
    )
    app.on_response_prepare.append(secure_headers)
    app[SETTINGS] = settings
    app[CLOCK] = utcnow
    app[SCHEMA_READY] = {}
    app[IN_FLIGHT] = InFlight()
    app[SIGNING_KEY] = signing_key(settings)
    for key, value in overrides.items():
        app[key] = value
    app.cleanup_ctx.extend(
        [_mongo_ctx, _redis_ctx, _flows_ctx, _queue_ctx, _services_ctx, _templates_ctx]
    )
    app.add_routes(health.routes)
    setup_api(app)
    app.add_routes(twilio.routes)
    app.add_routes(observability.routes)
    setup_pages(app)
    return app
