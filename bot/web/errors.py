"""One middleware maps errors to HTTP responses with a JSON body.

Malformed input is the client's problem, never a 500: a body that does not
decompress, a truncated or badly chunked body, bytes that are not the declared
charset, broken JSON answer 400; a client that went away mid-request is
dropped. Both are logged at warning, one line without a traceback.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler
from aiohttp.web_protocol import RequestPayloadError

from bot.core.errors import (
    BotError,
    ConflictError,
    NotFoundError,
    PermanentError,
    TransientError,
    ValidationError,
)

__all__ = ["SERVER_LOG", "error_middleware", "json_error"]

log = logging.getLogger(__name__)


class _MalformedIsAWarning(logging.Filter):
    """aiohttp logs a request it could not parse (bad chunking, bad headers) as an error
    with a traceback; it is the client's fault, so one warning line without it."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = "malformed request", ()
            record.__dict__["error"] = type(error).__name__
            record.exc_info, record.exc_text = None, None
        return True


# The logger aiohttp's connection handler writes to (``handler_args["logger"]``).
SERVER_LOG = logging.getLogger("bot.web.server")
SERVER_LOG.addFilter(_MalformedIsAWarning())

_STATUS: dict[type[BotError], int] = {
    NotFoundError: 404,
    ValidationError: 422,
    ConflictError: 409,
    TransientError: 503,
    PermanentError: 422,
}


# LookupError (plain, not KeyError) is what decoding with an unknown declared charset raises.
_MALFORMED = (
    HttpProcessingError,
    RequestPayloadError,
    UnicodeDecodeError,
    json.JSONDecodeError,
    LookupError,
)


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
    except _MALFORMED as exc:
        if isinstance(exc, LookupError) and type(exc) is not LookupError:
            return _unhandled(request)  # a KeyError or IndexError: ours, not the client's
        log.warning("malformed request", extra={"path": request.path, "error": type(exc).__name__})
        return json_error(400, "malformed_request", "the request body could not be read")
    except ConnectionResetError as exc:
        if request.transport is not None and not request.transport.is_closing():
            return _unhandled(request)  # our client is still there: one of our connections broke
        log.warning("client went away", extra={"path": request.path, "error": type(exc).__name__})
        return json_error(400, "client_gone", "the client closed the connection")
    except BotError as exc:
        status = next((s for cls, s in _STATUS.items() if isinstance(exc, cls)), 500)
        return json_error(status, exc.code, str(exc))
    except Exception:
        return _unhandled(request)


def _unhandled(request: web.Request) -> web.Response:
    log.exception("unhandled error", extra={"path": request.path})
    return json_error(500, "internal", "internal error; the operator has the details")
