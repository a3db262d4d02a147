"""``/healthz`` (the process answers) and ``/readyz`` (its dependencies answer)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.web.keys import FLOWS, PROBES, SCHEMA_READY

__all__ = ["routes"]

routes = web.RouteTableDef()

_PING_TIMEOUT = 2.0


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def _check(name: str, probe: asyncio.Future[object] | object) -> tuple[str, str | None]:
    try:
        await asyncio.wait_for(probe, _PING_TIMEOUT)  # type: ignore[arg-type]
    except Exception as exc:
        return name, f"{type(exc).__name__}: {str(exc)[:200] or 'no answer'}"
    return name, None


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    app = request.app
    results = await asyncio.gather(*(_check(name, probe()) for name, probe in app[PROBES].items()))
    problems = {name: error for name, error in results if error}
    if not problems and not app[SCHEMA_READY].get("mongodb"):
        problems["mongodb"] = "schema not created yet"
    checks = {name: ("ok" if name not in problems else "failing") for name, _ in results}
    body: dict[str, object] = {
        "status": "ready" if not problems else "unavailable",
        "checks": checks,
    }
    if problems:
        body["problems"] = problems
    refused = app[FLOWS].problems if FLOWS in app else {}
    if refused:
        # Not a failure: the previous version of the flow serves. Shown so an edit that was
        # refused does not go unnoticed (file:line: problem, no patient data).
        body["refused_flow_edits"] = refused
    return web.json_response(body, status=200 if not problems else 503)
