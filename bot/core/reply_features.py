"""What the reply model sees of a message: words, letter groups and cues, as feature names.

Text is folded and split into clauses by :mod:`bot.core.wording`. Features:

- ``w:`` words and ``b:`` word pairs, the vocabulary of the examples;
- ``c:`` groups of three to five letters inside each word, so a typo or an
  unseen ending ("confirmadissimo", "desmarcaa") still shares most of them;
- cues, as features the model weighs rather than rules that veto: ``n:`` a
  word within three words after a negation ("não vou *faltar*"), ``p:`` a word
  just before a clause-final "não" ("desmarcar não", "vou não"), ``l:`` a word
  of the last clause when there are several (corrections end with the answer:
  "ia cancelar mas deu certo, estarei aí"), ``q:`` a word inside a question
  ("tem na terça?"), ``s:`` who the message speaks about (``s:other`` a
  relative or third person, ``s:eu`` the writer), ``r:`` a word after a reported or
  abandoned plan ("ia *cancelar*", "tinha *confirmado*": corrections say what the
  writer meant before, not the answer), ``h:`` a word after a hedge ("acho que
  *vou*", "se der eu *vou*"), ``h:any`` / ``r:any`` when a message hedges or
  reports a plan at all, and the message length.

Numbers become ``<n>``: what a menu digit means is the flow's menu, not the
model's business (see :mod:`bot.core.intents`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from bot.core.wording import Clause, clauses

__all__ = ["NEGATORS", "PEOPLE", "Features", "example_key", "features", "tokens_of"]

NEGATORS = frozenset({"nao", "nem", "nunca", "jamais"})
# Who else a message may be about: a relative, a patient spoken for, "ele"/"ela".
PEOPLE = frozenset(
    {
        "mae", "pai", "filho", "filha", "filhos", "filhas", "esposa", "marido", "mulher",
        "avo", "vovo", "neto", "neta", "irma", "irmao", "tio", "tia", "sogra", "sogro",
        "namorada", "namorado", "crianca", "bebe", "menino", "menina", "dona", "senhor",
        "senhora", "ela", "ele", "dele", "dela", "paciente", "enteado", "enteada", "primo",
        "prima", "cunhada", "cunhado", "nora", "genro", "madrasta", "padrasto", "guri",
        "guria", "pia", "esposo", "companheiro", "companheira", "cuidadora", "patroa",
    }
)  # fmt: skip
_SELF = frozenset({"eu", "minha", "meu", "mim", "comigo"})
_NEGATION_REACH = 3
# A plan the writer had, not the answer: "ia cancelar mas...", "tinha confirmado, porém...".
REPORTED = frozenset({"ia", "iria", "tinha", "pensei", "achei", "era", "quase", "pretendia"})
# Words that make what follows uncertain: "acho que vou", "se der eu vou", "talvez".
HEDGES = frozenset(
    {"acho", "talvez", "provavelmente", "acredito", "creio", "se", "depende", "possivelmente",
     "qse", "quem", "duvida"}
)  # fmt: skip
_SCOPE_REACH = 4
_GRAMS = (3, 4, 5)

Features = tuple[tuple[str, ...], tuple[str, ...]]  # (word-level, letter groups)


def _word(token: str) -> str:
    if token.isalpha():  # most words: no digit to hide
        return token
    if any(ch.isdigit() for ch in token):
        return "<n>" + "".join(ch for ch in token if not ch.isdigit())
    return token


def _length(count: int) -> str:
    if count <= 1:
        return "len:1"
    if count <= 3:
        return "len:2-3"
    if count <= 8:
        return "len:4-8"
    return "len:9+"


def _clause_features(clause: Sequence[str], question: bool, last: bool, out: list[str]) -> None:
    previous = "^"
    negated_until = -1
    reported = hedged_until = -1
    for i, token in enumerate(clause):
        # Inside a negation's reach a word is a different word: "faltar" cancels, "não vou
        # faltar" confirms. The negator itself stays a plain word.
        marked = "n:" if i <= negated_until and token not in NEGATORS else "w:"
        out.append(marked + token)
        out.append(f"b{marked}{previous}_{token}")
        previous = token
        if token in NEGATORS:
            negated_until = i + _NEGATION_REACH
        # Added to the word, not instead of it: a plan or a hedge shades what follows.
        if reported >= 0 and token not in REPORTED:
            out.append("r:" + token)
        if i <= hedged_until and token not in HEDGES:
            out.append("h:" + token)
        if token in REPORTED:
            reported = i
        if token in HEDGES:
            hedged_until = i + _SCOPE_REACH
        if question:
            out.append("q:" + token)
        if last:
            out.append("l:" + token)
    out.append(f"b:{previous}_$")
    if len(clause) >= 2 and clause[-1] in NEGATORS:  # "vou não", "desmarcar não"
        out.extend("p:" + t for t in clause[-3:-1])


@lru_cache(maxsize=65536)
def _letter_groups(prefix: str, token: str) -> tuple[str, ...]:
    # Patients reuse few words: each word's groups are cut once.
    padded = f" {token} "
    return tuple(
        prefix + padded[j : j + size] for size in _GRAMS for j in range(len(padded) - size + 1)
    )


def tokens_of(parts: Sequence[Clause]) -> tuple[str, ...]:
    return tuple(t for c in parts for t in c.tokens)


def example_key(text: str) -> str:
    """Two examples with the same key are the same reply to the model ("Sim!" and "sim")."""
    parts = clauses(text)
    return " ".join(tokens_of(parts)) + ("?" if any(c.question for c in parts) else "")


def features(text: str, parts: Sequence[Clause] | None = None) -> Features:
    """The feature names of ``text`` (``parts``: its clauses, when already split)."""
    parts = clauses(text) if parts is None else parts
    words: list[str] = []
    letters: list[str] = []
    many = len(parts) > 1
    all_tokens: list[str] = []
    for index, clause in enumerate(parts):
        tokens = [_word(t) for t in clause.tokens]
        all_tokens += tokens
        _clause_features(tokens, clause.question, many and index == len(parts) - 1, words)
        if clause.contrast:  # "ia cancelar mas meu chefe liberou": the "but" side decides
            words.append("m:any")
            words.extend("m:" + t for t in tokens)
        negated_until = -1
        for i, token in enumerate(tokens):
            if token in NEGATORS:
                negated_until = i + _NEGATION_REACH
            prefix = "nc:" if i <= negated_until and token not in NEGATORS else "c:"
            letters.extend(_letter_groups(prefix, token))
    seen = set(all_tokens)
    if seen & PEOPLE:
        words.append("s:other")
    if seen & _SELF:
        words.append("s:eu")
    if any(c.question for c in parts):
        words.append("q:?")
    if seen & HEDGES:
        words.append("h:any")
    if seen & REPORTED:
        words.append("r:any")
    words.append(_length(len(all_tokens)))
    return tuple(words), tuple(letters)
