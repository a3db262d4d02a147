"""Reading a JSON body within a size limit, whatever ``client_max_size`` says."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.web.api.errors import ApiError, invalid
from bot.web.api.models import FieldProblem

__all__ = ["read_json"]

_CHUNK = 64 * 1024


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"the body is larger than {limit} bytes; send fewer items")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_body(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    """The decoded JSON, or a 422 naming the body (strict UTF-8, no NaN, bounded nesting)."""
    try:
        text = raw.decode("utf-8")
        return json.loads(text, parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        message = "the body is not valid UTF-8"
    except (ValueError, RecursionError) as exc:
        message = f"the body is not valid JSON: {str(exc)[:120]}"
    raise invalid(message, [FieldProblem(path="body", message=message)])


async def read_json(request: web.Request, limit: int) -> tuple[bytes, Any]:
    """The raw body (for fingerprints) and its JSON value."""
    raw = await read_body(request, limit)
    return raw, parse_json(raw)
