"""Reading a robot's batch item by item: the valid items, and a result for each rejected one.

Appointments and free slots arrive the same way (``items``, each matched on its
``external_id``); one bad item never refuses the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from bot.web.api.errors import problems
from bot.web.api.models import EXTERNAL_ID_PATTERN, FieldProblem, ItemResult

__all__ = ["check_items"]

_EXTERNAL_ID = re.compile(EXTERNAL_ID_PATTERN)


In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out")


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
