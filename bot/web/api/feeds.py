"""What the robot's two feeds (cancellations, reschedules) share: paging with a cursor, and
reading an acknowledgement of one item."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, TypeVar

from aiohttp import web
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from bot.web.api.body import read_json
from bot.web.api.errors import ApiError, invalid, problems
from bot.web.api.models import CURSOR_PATTERN, ID_PATTERN, FieldProblem
from bot.web.keys import SETTINGS

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "feed_query", "next_cursor", "read_ack"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_CURSOR = re.compile(CURSOR_PATTERN)
_ID = re.compile(ID_PATTERN)
_ACK_BODY_LIMIT = 16 * 1024
_PARAMETERS = frozenset({"after", "limit"})

Ack = TypeVar("Ack", bound=BaseModel)


class _InFeed(Protocol):
    @property
    def seq(self) -> int: ...


def feed_query(request: web.Request) -> tuple[int, int]:
    """``after`` (a cursor) and ``limit`` from the query; 422 naming every bad parameter."""
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


def next_cursor(found: Sequence[_InFeed], limit: int) -> str | None:
    """The cursor of the next page: the last item's when this page is full, else None."""
    return str(found[-1].seq) if len(found) == limit else None


async def read_ack(
    request: web.Request, item_id: str, model: type[Ack], what: str
) -> tuple[str, Ack]:
    """The id in the path (404 if it cannot be one) and the acknowledgement in the body."""
    found = request.match_info[item_id]
    if not _ID.match(found):
        raise ApiError(404, "not_found", f"no {what} with this id")
    limit = min(_ACK_BODY_LIMIT, request.app[SETTINGS].api.max_body)
    _, body = await read_json(request, limit)
    try:
        return found, model.model_validate(body)
    except PydanticValidationError as exc:
        raise invalid("invalid acknowledgement", problems(exc)) from None
