"""Emphatic double negatives that mean coming: "impossível eu não ir", "não posso não ir",
"nem tem como não ir", "não dá pra não ir".

The reply model weighs the words, and two "não" beside a verb of going read as absence: the
writer who says it cannot *not* go is read as unsure or as cancelling. A receptionist hears
"I'll certainly come". :func:`plain_emphasis` says such a clause plainly ("vou") and leaves
the rest of the message as written, so the model still reads what follows ("não dá pra não
ir, *mas vou ter que remarcar*"). Only the double negation counts: "não tem como eu ir" is
absence, and "não posso faltar" is mostly about work ("não posso faltar no serviço"), so a
single negation is the model's to read, and so is going somewhere else ("não posso não ir
trabalhar").
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.reply_features import PEOPLE
from bot.core.wording import Clause

__all__ = ["plain_emphasis"]

# What opens the first negation: "*impossível*", "*não* tem como", "*nem* dá pra".
_OPENERS = frozenset({"imposivel", "nao", "nem"})  # folded and squeezed
# A word of possibility after a "não"/"nem" opener: "não *tem como*", "não *posso*", "nem
# *dá* pra", "não existe *chance*" (not "não vou não ir", a repeated "não").
_POSSIBLE = frozenset(
    {"tem", "ha", "da", "dava", "poso", "pode", "consigo", "chance", "jeito", "como",
     "existe", "rola"}
)  # fmt: skip
_GOING = frozenset({"ir", "vir", "comparecer", "aparecer", "estar"})
# Going somewhere else: "não posso não ir *trabalhar*", "não dá pra não ir *na aula*".
_ELSEWHERE = frozenset(
    {"trabalhar", "trabalho", "servico", "aula", "escola", "faculdade", "colegio", "emprego",
     "viagem", "viajar", "enterro", "velorio", "casamento", "reuniao", "prova", "firma"}
)  # fmt: skip
_ELSEWHERE_REACH = 3  # "ir *no meu trabalho*"
_REACH = 5  # words from the opener to the second "não": "não tem *como eu* não ir"
_PLAIN = ("vou", "sim")


def _emphatic_span(tokens: Sequence[str]) -> tuple[int, int] | None:
    """Where "impossível eu não ir" runs in ``tokens`` (start, end), or None."""
    for start, word in enumerate(tokens):
        if word not in _OPENERS:
            continue
        for second in range(start + 1, min(start + 1 + _REACH, len(tokens) - 1)):
            if tokens[second] == "nao" and tokens[second + 1] in _GOING:
                between = tokens[start + 1 : second]
                if word != "imposivel" and _POSSIBLE.isdisjoint(between):
                    break
                if not PEOPLE.isdisjoint(between):
                    break  # "não tem como minha mãe não ir": whose answer it is matters
                where = tokens[second + 2 : second + 2 + _ELSEWHERE_REACH]
                if not _ELSEWHERE.isdisjoint(where):
                    break
                return start, second + 2
    return None


def plain_emphasis(parts: Sequence[Clause]) -> list[Clause] | None:
    """``parts`` with each emphatic double negative said plainly, or None without one (or
    when it is asked: "não tem como não ir?")."""
    changed = False
    plain: list[Clause] = []
    for clause in parts:
        span = None if clause.question else _emphatic_span(clause.tokens)
        if span is None:
            plain.append(clause)
            continue
        start, end = span
        tokens = (*clause.tokens[:start], *_PLAIN, *clause.tokens[end:])
        plain.append(Clause(tokens, clause.question, clause.contrast))
        changed = True
    return plain if changed else None
