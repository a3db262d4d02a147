"""``GET /api/v1/cancellations`` (unacknowledged, oldest first) and ``POST …/{id}/ack``."""

from __future__ import annotations

import re

from aiohttp import web
from pydantic import ValidationError as PydanticValidationError

from bot.core.errors import ConflictError
from bot.core.ports import ApiToken
from bot.services.cancellations import AckResult, CancellationService
from bot.web.api.appointments import cancellation_out
from bot.web.api.auth import endpoint
from bot.web.api.body import read_json
from bot.web.api.errors import ApiError, invalid, problems
from bot.web.api.models import CURSOR_PATTERN, ID_PATTERN, AckIn, CancellationPage, FieldProblem
from bot.web.keys import CLOCK, SETTINGS, STORE

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "routes"]

routes = web.RouteTableDef()

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_CURSOR = re.compile(CURSOR_PATTERN)
_ID = re.compile(ID_PATTERN)
_ACK_BODY_LIMIT = 16 * 1024
_PARAMETERS = frozenset({"after", "limit"})


def _service(request: web.Request) -> CancellationService:
    return CancellationService(request.app[STORE], request.app[CLOCK])


def _query(request: web.Request) -> tuple[int, int]:
    errors = [
        FieldProblem(path=f"query.{name[:64]}", message="unknown parameter (after, limit)")
        for name in request.query
        if name not in _PARAMETERS
    ]
    after_text = request.query.get("after", "0")
    if not _CURSOR.match(after_text):
        errors.append(FieldProblem(path="query.after", message="a cursor from this API (digits)"))
    limit_text = request.query.get("limit", str(DEFAULT_LIMIT))
    limit = int(limit_text) if limit_text.isascii() and limit_text.isdigit() else 0
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(FieldProblem(path="query.limit", message=f"an integer from 1 to {MAX_LIMIT}"))
    if errors:
        raise invalid("invalid query parameters", errors)
    return int(after_text), limit


@routes.get("/api/v1/cancellations")
@endpoint("cancellations:read")
async def list_cancellations(request: web.Request, token: ApiToken) -> web.StreamResponse:
    after, limit = _query(request)
    found = await _service(request).pending(after, limit)
    page = CancellationPage(
        items=[cancellation_out(c) for c in found],
        next_cursor=str(found[-1].seq) if len(found) == limit else None,
    )
    return web.json_response(page.model_dump(mode="json"))


@routes.post("/api/v1/cancellations/{cancellation_id}/ack")
@endpoint("cancellations:read")
async def acknowledge(request: web.Request, token: ApiToken) -> web.StreamResponse:
    cancellation_id = request.match_info["cancellation_id"]
    if not _ID.match(cancellation_id):
        raise ApiError(404, "not_found", "no cancellation with this id")
    limit = min(_ACK_BODY_LIMIT, request.app[SETTINGS].api.max_body)
    _, body = await read_json(request, limit)
    try:
        ack = AckIn.model_validate(body)
    except PydanticValidationError as exc:
        raise invalid("invalid acknowledgement", problems(exc)) from None
    try:
        stored = await _service(request).acknowledge(
            cancellation_id, AckResult(ack.result), ack.detail
        )
    except ConflictError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return web.json_response(cancellation_out(stored).model_dump(mode="json"))
