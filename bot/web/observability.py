"""Request correlation ids, request metrics, and ``GET /metrics``."""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import secrets

from aiohttp import web
from aiohttp.typedefs import Handler

from bot import metrics
from bot.logs import correlation_id
from bot.web import health
from bot.web.keys import GAUGES, IN_FLIGHT, OPERATOR_PORT, SETTINGS

__all__ = ["observe_middleware", "routes"]

routes = web.RouteTableDef()


@web.middleware
async def observe_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Tag the request's log lines with an id, and count it by route (never by raw path)."""
    given = request.headers.get("X-Request-Id", "")
    request_id = given if given.isalnum() and len(given) <= 64 else secrets.token_hex(8)
    token = correlation_id.set(request_id)
    route = (
        request.match_info.route.resource.canonical
        if request.match_info.route.resource
        else "unmatched"
    )
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = request_id
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        metrics.REQUESTS.labels(route, request.method, str(status)).inc()
        correlation_id.reset(token)


def _may_scrape(request: web.Request) -> bool:
    """On the operator's port, anyone who reaches it; on the public one, with METRICS_TOKEN
    its bearer, without it only a client on this machine."""
    if request.app.get(OPERATOR_PORT):
        return True
    token = request.app[SETTINGS].metrics_token
    if token is not None:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return hmac.compare_digest(given.encode(), token.get_secret_value().encode())
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return peer is not None and ipaddress.ip_address(peer[0]).is_loopback


@routes.get("/metrics")
async def metrics_endpoint(request: web.Request) -> web.Response:
    if not _may_scrape(request):
        raise web.HTTPUnauthorized(
            text='{"error": {"code": "unauthorized", "message": "send the metrics token"}}',
            content_type="application/json",
            headers={"WWW-Authenticate": "Bearer"},
        )
    # A scrape still returns the counters when a store is down.
    # Joined, never cancelled, when slow (bot.web.in_flight says why).
    with contextlib.suppress(Exception):
        await request.app[IN_FLIGHT].answer("gauges", request.app[GAUGES], 2.0)
    # What /readyz would say, for the alert rules (an orchestrator's probe leaves no history).
    names, failing = await health.problems(request.app)
    for name in names:
        metrics.DEPENDENCY_UP.labels(name).set(0 if name in failing else 1)
    return web.Response(body=metrics.render(), content_type="text/plain", charset="utf-8")
