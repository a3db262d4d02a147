"""``GET /api/v1/operations/{id}``: how a large batch (answered 202) is getting on."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import cast

from aiohttp import web

from bot.core.ports import ApiToken, Operation
from bot.web.api.auth import endpoint
from bot.web.api.errors import ApiError
from bot.web.api.models import ID_PATTERN, BatchResult, OperationOut, OperationState
from bot.web.keys import CLOCK, STORE

__all__ = ["operation_out", "routes"]

routes = web.RouteTableDef()

_ID = re.compile(ID_PATTERN)
# A running batch reports progress every 50 items: this long without any, its process stopped.
_ABANDONED_AFTER = timedelta(minutes=5)


def operation_out(operation: Operation, now: datetime) -> OperationOut:
    state = operation.state
    if state == "running" and operation.updated_at <= now - _ABANDONED_AFTER:
        state = "abandoned"
    return OperationOut(
        id=operation.id,
        state=cast(OperationState, state),
        total=operation.total,
        done=operation.done,
        created_at=operation.created_at,
        updated_at=operation.updated_at,
        result=BatchResult.model_validate(operation.result) if operation.result else None,
        error=operation.error,
    )


@routes.get("/api/v1/operations/{operation_id}")
@endpoint("appointments:write")
async def get_operation(request: web.Request, token: ApiToken) -> web.StreamResponse:
    operation_id = request.match_info["operation_id"]
    operation = (
        await request.app[STORE].operations.get(operation_id) if _ID.match(operation_id) else None
    )
    if operation is None or operation.owner != token.name:
        raise ApiError(404, "not_found", "no operation with this id for this token")
    body = operation_out(operation, request.app[CLOCK]())
    return web.json_response(body.model_dump(mode="json"))
