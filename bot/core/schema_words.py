"""pydantic's schema errors in plain Portuguese, with the fix (clinic staff edit flow files).

"Extra inputs are not permitted" and a regular expression mean nothing to a
receptionist; "chave desconhecida" and "escreva a duração como 24h, 30m ou
2d" do. Unknown error types keep pydantic's own message.
"""

from __future__ import annotations

from typing import Any

from bot.core.flow_spec import DURATION_PATTERN

__all__ = ["in_words"]


_KINDS = {
    "string_type": "um texto",
    "dict_type": "uma lista de chaves (chave: valor)",
    "model_type": "uma lista de chaves (chave: valor)",
    "model_attributes_type": "uma lista de chaves (chave: valor)",
    "list_type": "uma lista",
    "tuple_type": "uma lista",
    "bool_parsing": "true ou false",
    "bool_type": "true ou false",
    "int_parsing": "um número inteiro",
    "int_type": "um número inteiro",
    "int_from_float": "um número inteiro",
    "float_parsing": "um número",
    "float_type": "um número",
    "time_parsing": 'um horário HH:MM, entre aspas ("08:00")',
    "time_type": 'um horário HH:MM, entre aspas ("08:00")',
}
# What each pattern of the schemas means, said as the fix (never the expression itself).
_PATTERNS = {
    DURATION_PATTERN: "escreva a duração como 24h, 30m ou 2d",
    r"^[a-z][a-z0-9_]*$": "use só letras minúsculas sem acento, números e _, começando por letra",
    r"^[a-z0-9][a-z0-9_-]*$": "use só letras minúsculas sem acento, números, _ e -",
    r"^HX[0-9A-Za-z]+$": "o content_sid começa com HX seguido de letras e números (copie-o da Twilio)",
    r"^whatsapp:\+\d{8,15}$": 'escreva o número como "whatsapp:+5511999990000"',
    r"^(DEBUG|INFO|WARNING|ERROR)$": "use DEBUG, INFO, WARNING ou ERROR",
}


def in_words(error: Any) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as ``where: what to do``."""
    loc = tuple(str(p) for p in error["loc"])
    where = ".".join(loc) or "arquivo"
    return f"{where}: {_fix(error, loc)}"


def _fix(error: Any, loc: tuple[str, ...]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        return f'chave desconhecida "{loc[-1]}" (erro de digitação?): apague ou corrija'
    if kind == "missing":
        return f'falta a chave "{loc[-1]}"'
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(
            str(ctx.get("pattern")), "formato inválido: confira o exemplo no arquivo"
        )
    if kind in {"time_delta_parsing", "time_delta_type"}:
        return "escreva a duração como 24h, 30m ou 2d"
    if kind == "string_too_long":
        return f"texto longo demais (no máximo {ctx.get('max_length')} caracteres)"
    if kind in {"string_too_short", "too_short"}:
        return "não pode ficar vazio"
    if kind == "too_long":
        return f"itens demais (no máximo {ctx.get('max_length')})"
    if kind in {"greater_than_equal", "greater_than"}:
        return f"o número precisa ser pelo menos {ctx.get('ge', ctx.get('gt'))}"
    if kind in {"less_than_equal", "less_than"}:
        return f"o número precisa ser no máximo {ctx.get('le', ctx.get('lt'))}"
    if kind == "literal_error":
        return f"use um destes valores: {ctx.get('expected')}"
    if kind in _KINDS:
        return f"aqui vai {_KINDS[kind]}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return f"valor inválido ({error['msg']})"
