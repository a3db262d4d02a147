"""``GET /api/v1/cancellations`` (unacknowledged, oldest first) and ``POST …/{id}/ack``."""

from __future__ import annotations

from aiohttp import web

from bot.core.errors import ConflictError
from bot.core.ports import ApiToken
from bot.services.cancellations import AckResult, CancellationService
from bot.web.api.appointments import cancellation_out
from bot.web.api.auth import endpoint
from bot.web.api.errors import ApiError
from bot.web.api.feeds import feed_query, next_cursor, read_ack
from bot.web.api.models import AckIn, CancellationPage
from bot.web.keys import CLOCK, STORE

__all__ = ["routes"]

routes = web.RouteTableDef()


def _service(request: web.Request) -> CancellationService:
    return CancellationService(request.app[STORE], request.app[CLOCK])


@routes.get("/api/v1/cancellations")
@endpoint("cancellations:read")
async def list_cancellations(request: web.Request, token: ApiToken) -> web.StreamResponse:
    after, limit = feed_query(request)
    found = await _service(request).pending(after, limit)
    page = CancellationPage(
        items=[cancellation_out(c) for c in found], next_cursor=next_cursor(found, limit)
    )
    return web.json_response(page.model_dump(mode="json"))


@routes.post("/api/v1/cancellations/{cancellation_id}/ack")
@endpoint("cancellations:read")
async def acknowledge(request: web.Request, token: ApiToken) -> web.StreamResponse:
    cancellation_id, ack = await read_ack(request, "cancellation_id", AckIn, "cancellation")
    try:
        stored = await _service(request).acknowledge(
            cancellation_id, AckResult(ack.result), ack.detail
        )
    except ConflictError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return web.json_response(cancellation_out(stored).model_dump(mode="json"))
