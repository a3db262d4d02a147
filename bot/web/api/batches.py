"""Reading a robot's batch: its envelope, then item by item, the valid items and a result
for each rejected one.

Appointments and free slots arrive the same way (``items``, each matched on its
``external_id``); a bad envelope refuses the request, one bad item never
refuses the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from bot.config_sections import Api
from bot.core.ports import UpsertOutcome
from bot.web.api.body import read_json
from bot.web.api.errors import invalid, problems
from bot.web.api.models import EXTERNAL_ID_PATTERN, BatchSummary, FieldProblem, ItemResult

__all__ = ["Envelope", "Stored", "batch_results", "check_items", "read_batch"]

_EXTERNAL_ID = re.compile(EXTERNAL_ID_PATTERN)


In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out")


class Envelope(BaseModel):
    """A batch's outer shape; each item is checked on its own afterwards."""

    model_config = ConfigDict(extra="forbid")

    items: list[Any] = Field(max_length=1000)


E = TypeVar("E", bound=Envelope)

# A valid item once written: its index in the batch, the outcome, its external and own ids.
Stored = tuple[int, UpsertOutcome, str, str]


async def read_batch(
    request: web.Request, api: Api, envelope: type[E], shape: str
) -> tuple[bytes, E]:
    """The raw body (for idempotency) and its envelope; 422 when the body is not ``shape``
    or carries more than ``api.max_batch`` items."""
    raw, body = await read_json(request, api.max_body)
    if not isinstance(body, dict):
        message = f"the body must be a JSON object: {shape}"
        raise invalid(message, [FieldProblem(path="body", message=message)])
    try:
        parsed = envelope.model_validate(body)
    except PydanticValidationError as exc:
        raise invalid(f"the body must be {shape}", problems(exc)) from None
    if len(parsed.items) > api.max_batch:
        message = f"at most {api.max_batch} items per request"
        raise invalid(message, [FieldProblem(path="items", message=message)])
    return raw, parsed


def check_items(
    raw_items: Sequence[Any],
    model: type[In],
    context: Mapping[str, Any],
    convert: Callable[[In], Out],
) -> tuple[list[tuple[int, Out]], dict[int, ItemResult]]:
    """The valid items, converted (with their index), and the rejected ones' results."""
    valid: list[tuple[int, Out]] = []
    rejected: dict[int, ItemResult] = {}
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_items):
        prefix = f"items.{index}"
        external_id = raw.get("external_id") if isinstance(raw, dict) else None
        if not (isinstance(external_id, str) and _EXTERNAL_ID.match(external_id)):
            external_id = None
        errors: list[FieldProblem]
        if not isinstance(raw, dict):
            errors = [FieldProblem(path=prefix, message="must be an object")]
        else:
            try:
                item = model.model_validate(raw, context=dict(context))
            except PydanticValidationError as exc:
                errors = problems(exc, prefix)
            else:
                key: str = getattr(item, "external_id")  # noqa: B009 - every batch item has one
                if key in seen:
                    message = f"repeats the external_id of item {seen[key]}"
                    errors = [FieldProblem(path=f"{prefix}.external_id", message=message)]
                else:
                    seen[key] = index
                    valid.append((index, convert(item)))
                    continue
        rejected[index] = ItemResult(
            index=index, external_id=external_id, result="rejected", errors=errors
        )
    return valid, rejected


def batch_results(
    rejected: Mapping[int, ItemResult], stored: Iterable[Stored]
) -> tuple[list[ItemResult], BatchSummary]:
    """Every item's result in the batch's order, and how many had each outcome."""
    results = dict(rejected)
    for index, outcome, external_id, item_id in stored:
        results[index] = ItemResult(
            index=index, external_id=external_id, result=outcome.value, id=item_id
        )
    items = [results[index] for index in sorted(results)]
    summary = BatchSummary(
        created=sum(1 for r in items if r.result == UpsertOutcome.CREATED.value),
        updated=sum(1 for r in items if r.result == UpsertOutcome.UPDATED.value),
        unchanged=sum(1 for r in items if r.result == UpsertOutcome.UNCHANGED.value),
        rejected=len(rejected),
    )
    return items, summary
