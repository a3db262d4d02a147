"""Every API handler is wrapped in :func:`endpoint`: bearer token, scope, rate limit, error shape.

401 without a token or with a bad/revoked one, 403 without the route's scope,
429 with ``Retry-After`` past the token's rate, 503 with ``Retry-After`` when a
store is unreachable. The token itself is never logged, nor kept beyond the
request.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Awaitable, Callable

from aiohttp import web
from pymongo.errors import ConnectionFailure
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.core.errors import ConflictError, NotFoundError, TransientError, ValidationError
from bot.core.ports import ApiToken
from bot.services.tokens import TokenService
from bot.web.api.errors import ApiError
from bot.web.keys import API_LIMITER, CLOCK, STORE

__all__ = ["ApiHandler", "endpoint"]

log = logging.getLogger(__name__)

ApiHandler = Callable[[web.Request, ApiToken], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_UNAVAILABLE = (ConnectionFailure, RedisConnectionError, RedisTimeoutError, TransientError)
_RETRY_UNAVAILABLE = "5"
_STATUS: dict[type[Exception], int] = {NotFoundError: 404, ConflictError: 409, ValidationError: 422}


def _unauthorized(message: str, invalid: bool) -> ApiError:
    challenge = 'Bearer realm="digitaly"' + (', error="invalid_token"' if invalid else "")
    return ApiError(401, "unauthenticated", message, headers={"WWW-Authenticate": challenge})


async def _authenticate(request: web.Request) -> ApiToken:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise _unauthorized("send the API token as 'Authorization: Bearer <token>'", False)
    service = TokenService(request.app[STORE].tokens, request.app[CLOCK])
    token = await service.authenticate(secret.strip())
    if token is None:
        raise _unauthorized("the token is not valid, or was revoked", True)
    return token


async def _limit(request: web.Request, token: ApiToken) -> None:
    slot = await request.app[API_LIMITER].reserve(f"token:{token.name}", max_wait=0)
    if not slot.granted:
        wait = str(max(1, math.ceil(slot.wait)))
        raise ApiError(
            429,
            "rate_limited",
            f"too many requests for this token; retry after {wait} s",
            headers={"Retry-After": wait},
        )


def endpoint(scope: str) -> Callable[[ApiHandler], Handler]:
    """Wrap an API handler: it runs only for a valid token holding ``scope``, within its rate."""

    def wrap(handler: ApiHandler) -> Handler:
        @functools.wraps(handler)
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                token = await _authenticate(request)
                if scope not in token.scopes:
                    raise ApiError(403, "forbidden", f"this token lacks the scope {scope}")
                await _limit(request, token)
                return await handler(request, token)
            except ApiError as exc:
                return exc.response()
            except (NotFoundError, ConflictError, ValidationError) as exc:
                status = next(code for cls, code in _STATUS.items() if isinstance(exc, cls))
                return ApiError(status, exc.code, str(exc)).response()
            except _UNAVAILABLE as exc:
                log.warning("api: a store is unreachable", extra={"error": type(exc).__name__})
                return ApiError(
                    503,
                    "unavailable",
                    "a database is unreachable; retry later",
                    headers={"Retry-After": _RETRY_UNAVAILABLE},
                ).response()

        return wrapped

    return wrap
