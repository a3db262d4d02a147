"""The API's error answers: ``{"error": {"code", "message", "errors": [{"path", "message"}]}}``.

Same shape as ``bot.web.errors`` gives every other route, plus the path of
each invalid field. Inputs are never echoed back (they may be personal data).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from aiohttp import web
from pydantic import ValidationError as PydanticValidationError

from bot.web.api.models import ErrorBody, ErrorResponse, FieldProblem

__all__ = ["ApiError", "invalid", "problems"]


class ApiError(Exception):
    """An answer other than 2xx, raised anywhere inside an API handler."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        errors: Sequence[FieldProblem] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})

    def response(self) -> web.Response:
        body = ErrorResponse(
            error=ErrorBody(code=self.code, message=self.message, errors=self.errors)
        )
        return web.json_response(
            body.model_dump(mode="json", exclude_none=True),
            status=self.status,
            headers=self.headers,
        )


def _path(prefix: str, loc: Iterable[int | str]) -> str:
    parts = [prefix] if prefix else []
    for part in loc:
        text = str(part)
        # A key the client invented (an extra field) is shown, but never in full.
        parts.append(text if len(text) <= 64 else text[:61] + "...")
    return ".".join(parts) or "body"


def problems(exc: PydanticValidationError, prefix: str = "") -> list[FieldProblem]:
    """One FieldProblem per pydantic error, its path prefixed (``items.3``)."""
    found = []
    for error in exc.errors(include_input=False, include_url=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        found.append(FieldProblem(path=_path(prefix, error["loc"]), message=message))
    return found


def invalid(message: str, errors: list[FieldProblem]) -> ApiError:
    return ApiError(422, "invalid", message, errors=errors)
