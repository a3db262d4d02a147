"""``/healthz`` (the process answers) and ``/readyz`` (its dependencies answer).

``/readyz`` also carries details that do not make the process unready:
``paused_senders`` (senders over Meta's messaging limit, their reminders held)
and ``template_problems`` (flow templates that do not match Twilio's, from the
start-up check).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.web.in_flight import Late
from bot.web.keys import (
    CLOCK,
    FLOWS,
    IN_FLIGHT,
    PROBES,
    SCHEMA_READY,
    STORE,
    TEMPLATE_PROBLEMS,
)

__all__ = ["problems", "routes"]

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

_PING_TIMEOUT = 2.0
# Every probe ends by its client's own deadline (pymongo.timeout, Redis's socket timeout,
# 10 s at most): one still running well past that is stuck in its client, not slow.
_STUCK_SECONDS = 30.0


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def _check(app: web.Application, name: str) -> tuple[str, str | None]:
    # The answer names what failed, never the driver's message (hosts, users, internals):
    # the exception goes to the log for the operator. A probe that times out is not
    # cancelled (bot.web.in_flight says why): the next check joins it.
    try:
        await app[IN_FLIGHT].answer(f"probe:{name}", app[PROBES][name], _PING_TIMEOUT)
    except Late as late:
        _log_late(name, late)
        return name, "no answer in time"
    except Exception as exc:
        # The exception's text names internal addresses: the log gets its type, the answer less.
        log.warning("dependency not ready", extra={"dependency": name, "error": type(exc).__name__})
        return name, "not answering"
    return name, None


def _log_late(name: str, late: Late) -> None:
    waited = round(late.running_for, 1)
    if late.running_for > _STUCK_SECONDS:
        log.error(
            "dependency probe stuck in its client: restart the process",
            extra={"dependency": name, "waited_seconds": waited},
        )
    else:
        log.warning(
            "dependency did not answer in time",
            extra={"dependency": name, "waited_seconds": waited},
        )


async def problems(app: web.Application) -> tuple[list[str], dict[str, str]]:
    """Every dependency /readyz asks about, and what is wrong with the failing ones."""
    results = await asyncio.gather(*(_check(app, name) for name in app[PROBES]))
    found = {name: error for name, error in results if error}
    if not found and not app[SCHEMA_READY].get("mongodb"):
        found["mongodb"] = "schema not migrated yet"
    return [name for name, _ in results], found


async def _paused_senders(app: web.Application) -> list[dict[str, object]]:
    """Senders over Meta's messaging limit: their reminders wait (a detail, not unreadiness)."""
    if STORE not in app:  # a worker's or scheduler's own port (bot/web/ops.py): no store
        return []
    store, now = app[STORE], app[CLOCK]()
    try:
        paused = await app[IN_FLIGHT].answer(
            "sender_pauses", lambda: store.sender_pauses.active(now), _PING_TIMEOUT
        )
    except Exception:
        return []  # the mongodb probe reports the store's trouble
    return [
        {"sender": p.sender, "until": p.until.isoformat(), "error_code": p.error_code}
        for p in paused
    ]


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    names, failing = await problems(request.app)
    checks = {name: ("ok" if name not in failing else "failing") for name in names}
    body: dict[str, object] = {
        "status": "ready" if not failing else "unavailable",
        "checks": checks,
    }
    if failing:
        body["problems"] = failing
    if "mongodb" not in failing and (paused := await _paused_senders(request.app)):
        body["paused_senders"] = paused
    if templates := request.app.get(TEMPLATE_PROBLEMS):
        body["template_problems"] = templates
    if refused := (request.app[FLOWS].problems if FLOWS in request.app else {}):
        # Not a failure: the previous version of the flow serves. Shown so an edit that was
        # refused does not go unnoticed (file:line: problem, no patient data).
        body["refused_flow_edits"] = refused
    return web.json_response(body, status=200 if not failing else 503)
