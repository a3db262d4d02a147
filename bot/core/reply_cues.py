"""Turns of phrase read as the plainer words they stand for, before features are cut.

- "deixa *desmarcado*", "pode deixar a consulta *cancelada*", "fica *marcado*": leaving
  something in a state asks for the verb of that state, as patients ask for it, said beside
  "deixa" ("deixa desmarca desmarcado", "deixa marca marcado"). Alone, "deixa" is what the
  examples taught of it ("deixa quieto", "deixa, eu vou": keep);
- "esquece *a consulta*": forgetting the appointment drops it, as "tira" does ("tira a
  consulta"). "Esquece" alone, "esquece o cancelamento" or "esquece o que eu falei" take
  back what was said and stay as they are.

The words around stay, so a negation reaches the verb as it reaches "deixa" ("não deixa
marcado não" -> "não deixa marca marcado não").
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["plainer"]

_LEAVE = frozenset(
    {"deixa", "deixe", "deixar", "deixo", "deixem", "fica", "ficar", "fique", "deixaria"}
)
# Between "deixa" and the state: "deixa *a consulta* desmarcada", "pode deixar *ela* cancelada".
_BETWEEN = frozenset({"a", "o", "ela", "ele", "consulta", "minha", "meu", "horario", "tudo", "so"})
_PARTICIPLES = ("ado", "ada", "ados", "adas")
_FORGET = frozenset({"esquece", "esqueca", "esquecer", "esquecam", "esquecem"})
# The appointment itself ("esquece *a consulta*"), not "o cancelamento" nor "o que eu falei".
_APPOINTMENT = frozenset({"consulta", "horario", "exame", "retorno", "agendamento", "marcacao"})
_DROP = "tira"


def _verb(participle: str) -> str | None:
    """ "desmarcado" -> "desmarca", "cancelada" -> "cancela" (as patients ask for it: "desmarca
    sim"); None for other words."""
    for ending in _PARTICIPLES:
        if participle.endswith(ending) and len(participle) > len(ending) + 2:
            return participle[: -len(ending)] + "a"
    return None


def _state_left(tokens: Sequence[str], i: int) -> str | None:
    """The verb of the state "deixa" at ``i`` leaves something in, if it names one."""
    j = i + 1
    while j < len(tokens) and j <= i + 3 and tokens[j] in _BETWEEN:
        j += 1
    return _verb(tokens[j]) if j < len(tokens) else None


def plainer(tokens: Sequence[str]) -> tuple[str, ...]:
    """One clause's words with "deixa <state>" and "esquece <thing>" said plainly."""
    if _LEAVE.isdisjoint(tokens) and _FORGET.isdisjoint(tokens):
        return tuple(tokens)
    said = list(tokens)
    for i, token in enumerate(tokens):
        verb = _state_left(tokens, i) if token in _LEAVE else None
        if verb is not None:
            said[i] = verb
        elif token in _FORGET and _APPOINTMENT.intersection(tokens[i + 1 : i + 3]):
            said[i] = _DROP
    return tuple(" ".join(said).split())
