"""pydantic's schema errors in plain Portuguese, with the fix (clinic staff edit flow files).

"Extra inputs are not permitted" and a regular expression mean nothing to a
receptionist; "chave desconhecida" and "escreva a duração como 24h, 30m ou
2d" do. Unknown error types keep pydantic's own message.
"""

from __future__ import annotations

from typing import Any

from bot.core.flow_spec import DURATION_PATTERN

__all__ = ["in_words"]


def in_words(error: Any) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as ``where: what to do``."""
    loc = tuple(str(p) for p in error["loc"])
    where = ".".join(loc)
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        return f'{where}: chave desconhecida "{loc[-1]}" (erro de digitação?): apague ou corrija'
    if kind == "missing":
        return f'{where}: falta a chave "{loc[-1]}"'
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == DURATION_PATTERN:
        return f"{where}: escreva a duração como 24h, 30m ou 2d"
    if kind == "string_too_long":
        return f"{where}: texto longo demais (no máximo {ctx.get('max_length')} caracteres)"
    if kind == "string_too_short":
        return f"{where}: não pode ficar vazio"
    if kind in {"string_type", "dict_type", "list_type", "tuple_type", "bool_parsing"}:
        wanted = {
            "string_type": "um texto",
            "dict_type": "uma lista de chaves (chave: valor)",
            "list_type": "uma lista",
            "tuple_type": "uma lista",
            "bool_parsing": "true ou false",
        }[kind]
        return f"{where}: aqui vai {wanted}"
    return f"{where}: {error['msg']}"
