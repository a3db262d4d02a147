"""``Idempotency-Key``: the first answer to a (token, route, key) is stored and replayed.

The same key with a different body is refused (409 ``idempotency_key_reused``):
it is a client bug, not a retry (409 rather than the IETF draft's 422, because
the request itself is valid; only the key's earlier use conflicts with it). A second request arriving while the first still runs waits for its
answer, briefly, then gets 409 and retries. A claim whose process died is taken
over after a while; keys expire after 24 hours (a TTL index).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web

from bot.core.ports import ApiToken
from bot.web.api.errors import ApiError, invalid
from bot.web.api.models import FieldProblem
from bot.web.keys import CLOCK, STORE

__all__ = ["HEADER", "KEY_PATTERN", "idempotent"]

HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_KEY = re.compile(KEY_PATTERN)
_STALE_AFTER = timedelta(minutes=2)
_WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.1
REPLAYED = "Idempotent-Replayed"

Run = Callable[[], Awaitable[web.Response]]


def _replay(status: int, body: str) -> web.Response:
    return web.Response(
        status=status, text=body, content_type="application/json", headers={REPLAYED: "true"}
    )


async def idempotent(request: web.Request, token: ApiToken, raw: bytes, run: Run) -> web.Response:
    """Run the request once per Idempotency-Key (when one is sent); replay its answer after."""
    client_key = request.headers.get(HEADER)
    if client_key is None:
        return await run()
    if not _KEY.match(client_key):
        message = "Idempotency-Key must be 1-255 visible ASCII characters (a UUID is ideal)"
        raise invalid(message, [FieldProblem(path=f"header.{HEADER}", message=message)])
    repository = request.app[STORE].idempotency
    route = request.match_info.route.resource.canonical if request.match_info.route.resource else ""
    key = f"{token.name}|{request.method} {route}|{client_key}"
    fingerprint = hashlib.sha256(raw).hexdigest()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _WAIT_SECONDS
    while True:
        held = await repository.claim(key, fingerprint, request.app[CLOCK](), _STALE_AFTER)
        if held is None:
            break
        if held.fingerprint != fingerprint:
            raise ApiError(
                409,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different body; use a new key per batch",
            )
        if held.status is not None and held.body is not None:
            return _replay(held.status, held.body)
        if loop.time() > deadline:
            raise ApiError(
                409,
                "in_progress",
                "a request with this Idempotency-Key is still running; retry shortly",
                headers={"Retry-After": "2"},
            )
        await asyncio.sleep(_POLL_SECONDS)
    try:
        response = await run()
    except BaseException:
        await repository.release(key)  # nothing was answered: a retry may run it again
        raise
    if response.status < 300 and response.text is not None:
        await repository.complete(key, response.status, response.text)
    else:
        await repository.release(key)
    return response
