"""Answers the writer has not settled: a "sim" up front that the rest reads against, and an
answer followed by doubt said on its own (:func:`ends_in_doubt`: "vou sim... sei lá",
"confirmo... sei lá, vê aí"). Both are asked again.

To "Você quer mesmo desmarcar?", "Sim, quero manter" says yes to the question's words and
keeps the appointment with the rest; "Sim. Não é falta de vontade não, é que tô sem
dinheiro..." opens with the answer and goes on with a reason full of negations. Read whole,
both lean to "no" (keep) against the "sim" they open with: a coin toss between opposite
outcomes, so the reply is asked again (a ``shape``, :mod:`bot.core.reply_shapes`).

Only a short opening answer that the model reads surely as "yes" counts: a "não" up front
mostly agrees with a negated verb after it ("não, não vou conseguir, pode cancelar"), and
a long first clause says more than the answer word. Not a clash either, read whole by the
model:

- a turn said as one: a correction the features already know ("sim... pera, não, mantém"),
  or a clause that opens with a change of mind ("sim\\n*desculpa*, não precisa", "sim\\n*não
  não* foi mal, mantém");
- a "but" clause ("sim, mas quero outro dia"): the "but" side is the decision;
- a whole that agrees with its opening ("Sim, não vou precisar dessa vaga" read as yes).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.reply_features import correction_point, doubts
from bot.core.reply_model import ReplyModel
from bot.core.wording import Clause

__all__ = ["answers_clash", "ends_in_doubt"]

_OPPOSITE = {"yes": "no"}  # only a "sim" up front clashes (see the module's docstring)
_SURE = 0.9  # the opening read alone this surely is an answer of its own
_OPENING = 2  # words of an opening answer: "Sim,", "sim sim,", "claro,"
# A change of mind announced at the start of a clause: "*desculpa*, não precisa", "*ah* não".
_TURNS = frozenset({"ah", "ai", "desculpa", "desculpe", "esquece", "mentira", "opa", "ops"})
_TURN_PAIRS = (("foi", "mal"), ("ou", "melhor"), ("nao", "nao"))
_SHORT_DOUBT = 3  # words of a doubt that stands alone: "sei lá", "não sei", "tô em dúvida"
_ANSWERS = frozenset({"confirm", "cancel", "yes", "no", "reschedule", "opt_out"})
_LAST = 2  # clauses at the end a doubt may stand in: "…, sei lá, vê aí"


def _turns(tokens: Sequence[str]) -> bool:
    """A clause that announces a change of mind ("ah não, ...", "desculpa, ...")."""
    pairs = {tuple(tokens[i : i + 2]) for i in range(len(tokens) - 1)}
    return bool(tokens) and (tokens[0] in _TURNS or not pairs.isdisjoint(_TURN_PAIRS))


def answers_clash(model: ReplyModel, parts: Sequence[Clause]) -> bool:
    """A short opening "sim" that the whole message reads against ("Sim, quero manter")."""
    if len(parts) < 2 or parts[0].question or len(parts[0].tokens) > _OPENING:
        return False
    if any(c.contrast for c in parts) or correction_point(parts) is not None:
        return False
    rest = [c for c in parts[1:] if not c.question]
    if not rest or any(_turns(c.tokens) for c in rest):
        return False
    opening = model.read("", parts[:1])
    if opening.intent not in _OPPOSITE or opening.confidence < _SURE:
        return False
    return model.read("", parts).intent == _OPPOSITE[opening.intent]


def ends_in_doubt(model: ReplyModel, parts: Sequence[Clause]) -> bool:
    """An answer, then doubt said on its own at the end ("vou sim... sei lá", "quero sim,
    sei lá, vê aí"): the writer's last word is that they do not know. A doubt with more to
    say ("pode cancelar, não sei quando volto") is a reason, and a doubt answered after it
    ("mantém. Sei lá. Pode desmarcar") is settled: both are the model's to read."""
    if len(parts) < 2:
        return False
    for at in range(max(1, len(parts) - _LAST), len(parts)):
        clause, after = parts[at], parts[at + 1 :]
        if clause.question or len(clause.tokens) > _SHORT_DOUBT or not doubts(clause.tokens):
            continue
        if not after or model.read("", after).intent not in _ANSWERS:
            return True
    return False
