"""The building blocks of the OpenAPI document: the description, references,
headers, the error responses every operation can answer, and path parameters.

Kept apart from ``openapi.py`` so that module holds only the operations.
"""

from __future__ import annotations

from typing import Any

from bot.web.api.feeds import DEFAULT_LIMIT, MAX_LIMIT
from bot.web.api.idempotency import HEADER, KEY_PATTERN
from bot.web.api.models import CURSOR_PATTERN, ID_PATTERN

__all__ = [
    "DESCRIPTION",
    "ERRORS",
    "REF",
    "ack_operation",
    "batch_put",
    "content",
    "cursor_params",
    "error",
    "feed_operation",
    "header",
    "path_param",
    "ref",
    "responses",
]

REF = "#/components/schemas/{model}"
# The answers that carry Retry-After and mean "the same request may succeed later"
# (idempotency.py's in_progress, auth.py's rate limit and unavailable database); every
# other 4xx needs a changed request. docs/integration.md says the same (a test checks).
RETRYABLE = ("409 `in_progress`", "429", "503")
DESCRIPTION = f"""\
The API the clinic's RPA robot uses to keep Digitaly in step with the legacy
scheduling system: push the day's appointments, read the cancellations patients
made on WhatsApp, and acknowledge each once it is applied.

Every call needs `Authorization: Bearer <token>` (a token from
`digitaly tokens create`). Errors are JSON: `{{"error": {{"code", "message",
"errors": [{{"path", "message"}}]}}}}`. Retry only {RETRYABLE[0]}, {RETRYABLE[1]} and
{RETRYABLE[2]} (and timeouts or dropped connections), after `Retry-After` seconds; never
retry another 4xx (401, 403, 404, any other 409, 413, 422) without changing the request.
"""


def content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": REF.format(model=name)}


def header(description: str, required: bool = True) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": {"type": "string"}}


def error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": content(ref("ErrorResponse")),
    }
    if headers:
        response["headers"] = headers
    return response


ERRORS: dict[str, dict[str, Any]] = {
    "401": error(
        "No token, or a token that is not valid or was revoked.",
        {"WWW-Authenticate": header("Bearer challenge")},
    ),
    "403": error("The token lacks the scope this operation needs."),
    "404": error("Nothing with this id."),
    "409": error("A conflict: see the message (retry 409 `in_progress` after Retry-After)."),
    "413": error("The body is too large."),
    "422": error("Invalid input: `errors` names the path of each invalid field."),
    "429": error(
        "Too many requests for this token.",
        {"Retry-After": header("Seconds to wait before retrying")},
    ),
    "503": error(
        "A database is unreachable; retry later.",
        {"Retry-After": header("Seconds to wait before retrying")},
    ),
}


def responses(ok: dict[str, dict[str, Any]], *errors: str) -> dict[str, Any]:
    return {**ok, **{code: ERRORS[code] for code in ("401", "403", *errors, "429", "503")}}


def path_param(name: str, pattern: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "pattern": pattern},
    }


def cursor_params(items: str) -> list[dict[str, Any]]:
    """``after`` and ``limit``: how the robot pages through a feed of ``items``."""
    return [
        {
            "name": "after",
            "in": "query",
            "required": False,
            "description": f"A cursor from this API: only {items} after it.",
            "schema": {"type": "string", "pattern": CURSOR_PATTERN},
        },
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": DEFAULT_LIMIT,
            },
        },
    ]


_IDEMPOTENCY_KEY = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "A new UUID per batch; resend it with a retried batch.",
    "schema": {"type": "string", "pattern": KEY_PATTERN},
}


def _operation(
    operation: str,
    tag: str,
    summary: str,
    description: str,
    scope: str,
    parameters: list[dict[str, Any]],
    body: str | None,
    answers: dict[str, Any],
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "operationId": operation,
        "tags": [tag],
        "summary": summary,
        "description": description,
        "security": [{"bearer": [f"{tag}:{scope}"]}],
        "parameters": parameters,
    }
    if body is not None:
        found["requestBody"] = {"required": True, "content": content(ref(body))}
    return found | {"responses": answers}


def _ok(description: str, model: str) -> dict[str, dict[str, Any]]:
    return {"200": {"description": description, "content": content(ref(model))}}


def batch_put(
    operation: str,
    tag: str,
    summary: str,
    description: str,
    *,
    batch: str,
    result: str,
    more: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A batch ``PUT`` (appointments, slots): an optional Idempotency-Key, per-item results."""
    ok = _ok("The result for each item, in request order.", result) | (more or {})
    answers = responses(ok, "409", "413", "422")
    return _operation(
        operation, tag, summary, description, "write", [_IDEMPOTENCY_KEY], batch, answers
    )


def feed_operation(
    operation: str, tag: str, summary: str, description: str, *, items: str, page: str
) -> dict[str, Any]:
    """A feed's ``GET`` (cancellations, moves): a page of ``items`` after a cursor."""
    answers = responses(_ok(f"A page of {items}.", page), "422")
    return _operation(
        operation, tag, summary, description, "read", cursor_params(items), None, answers
    )


def ack_operation(
    operation: str,
    tag: str,
    summary: str,
    description: str,
    *,
    param: tuple[str, str],  # (path parameter, its description)
    body: str,
    answer: tuple[str, str],  # (model, its description)
) -> dict[str, Any]:
    """A feed item's acknowledgement ``POST``: the item, acknowledged."""
    answers = responses(_ok(answer[1], answer[0]), "404", "409", "413", "422")
    parameters = [path_param(param[0], ID_PATTERN, param[1])]
    return _operation(operation, tag, summary, description, "read", parameters, body, answers)
