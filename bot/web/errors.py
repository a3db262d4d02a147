"""One middleware maps errors to HTTP responses with a JSON body."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.core.errors import (
    BotError,
    ConflictError,
    NotFoundError,
    PermanentError,
    TransientError,
    ValidationError,
)

__all__ = ["error_middleware", "json_error"]

log = logging.getLogger(__name__)

_STATUS: dict[type[BotError], int] = {
    NotFoundError: 404,
    ValidationError: 422,
    ConflictError: 409,
    TransientError: 503,
    PermanentError: 422,
}


def json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        return json_error(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason)
    except BotError as exc:
        status = next((s for cls, s in _STATUS.items() if isinstance(exc, cls)), 500)
        return json_error(status, exc.code, str(exc))
    except Exception:
        log.exception("unhandled error", extra={"path": request.path})
        return json_error(500, "internal", "internal error; the operator has the details")
