"""What is left of a flow file with schema errors, so that the later checks still run.

Staff fix a flow file faster when one ``flows check`` lists every problem,
not only the schema's: the parts pydantic refused are cut out (a misspelt key,
a bad value; a state or message missing a required key goes whole), and what
remains is validated again. The cut names are returned so that "unknown
message" reports about them, which would only repeat the schema error, are
left out.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import pydantic

from bot.core.flow_spec import DURATION_PATTERN, FlowSpec

__all__ = ["salvage"]

_NAMED = frozenset({"states", "messages", "intents", "anywhere"})
_ROUNDS = 8  # each round cuts at least one part; a real file needs two or three
# A refused duration is read as this one, so that its timeout's other checks still run
# (cut, the state would also be reported as waiting without a timeout). Under the 24-hour
# window: it never makes a message look business-initiated.
_STAND_IN_DURATION = "1h"


class _Cut:
    """Marks a removed entry until the containers are compacted (list indices stay valid)."""


_CUT = _Cut()


def _reach(data: Any, loc: Sequence[Any]) -> tuple[Any, ...]:
    """The longest prefix of ``loc`` that exists in ``data``."""
    found: list[Any] = []
    here = data
    for part in loc:
        if (isinstance(here, dict) and part in here) or (
            isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here)
        ):
            here = here[part]
        else:
            break
        found.append(part)
    return tuple(found)


def _put(data: Any, path: tuple[Any, ...], value: Any) -> None:
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value


def _compact(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _compact(v) for k, v in data.items() if v is not _CUT}
    if isinstance(data, list):
        return [_compact(v) for v in data if v is not _CUT]
    return data


def salvage(data: dict[str, Any]) -> tuple[FlowSpec | None, frozenset[str]]:
    """The flow without the parts the schema refused, and the names of states, messages
    and intents cut whole; None when nothing checkable is left (a top-level key missing)."""
    data = copy.deepcopy(data)
    cut_names: set[str] = set()
    for _ in range(_ROUNDS):
        try:
            return FlowSpec.model_validate(data), frozenset(cut_names)
        except pydantic.ValidationError as error:
            paths = set()
            for item in error.errors():
                # The refused value itself, or the deepest part that exists (the object
                # missing a required key, or the shorthand a validator expanded).
                path = _reach(data, item["loc"])
                if not path:
                    return None, frozenset(cut_names)
                if (item.get("ctx") or {}).get("pattern") == DURATION_PATTERN:
                    _put(data, path, _STAND_IN_DURATION)
                    continue
                paths.add(path)
            for path in sorted(paths, key=len):
                if len(path) == 2 and path[0] in _NAMED:
                    cut_names.add(str(path[1]))
                try:
                    _put(data, path, _CUT)
                except (KeyError, IndexError, TypeError):  # inside a part already cut
                    continue
            data = _compact(data)
    return None, frozenset(cut_names)
