"""``/healthz`` (the process answers) and ``/readyz`` (its dependencies answer)."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.web.keys import PROBES, SCHEMA_READY

__all__ = ["problems", "routes"]

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

_PING_TIMEOUT = 2.0


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def _check(name: str, probe: asyncio.Future[object] | object) -> tuple[str, str | None]:
    # The answer names what failed, never the driver's message (hosts, users, internals):
    # the exception goes to the log for the operator.
    try:
        await asyncio.wait_for(probe, _PING_TIMEOUT)  # type: ignore[arg-type]
    except TimeoutError:
        return name, f"no answer in {_PING_TIMEOUT:g} s"
    except Exception as exc:
        log.warning("readiness probe failed", extra={"dependency": name, "error": repr(exc)})
        return name, f"unreachable ({type(exc).__name__})"
    return name, None


async def problems(app: web.Application) -> tuple[list[str], dict[str, str]]:
    """Every dependency /readyz asks about, and what is wrong with the failing ones."""
    results = await asyncio.gather(*(_check(name, probe()) for name, probe in app[PROBES].items()))
    found = {name: error for name, error in results if error}
    if not found and not app[SCHEMA_READY].get("mongodb"):
        found["mongodb"] = "schema not migrated yet"
    return [name for name, _ in results], found


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
    return web.json_response(body, status=200 if not failing else 503)
