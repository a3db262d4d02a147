"""Portuguese text as the classifier sees it: folded, split into clauses, compared loosely.

Folding removes case, accents, emoji skin tones and keycaps; repeated letters
collapse ("simmm" -> "sim"); hurried spellings of "não" ("n", "naum") become
"nao". Text splits into clauses at punctuation and at "mas"/"porém". Typos are
the reply model's business (its letter-group features), not this module's.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Clause", "clauses", "fold", "phrase_tokens"]

# Spellings of "não" as typed in a hurry ("n vou poder", "naum", "ñ").
_ALIASES = {"n": "nao", "naum": "nao", "nao": "nao"}
_QUESTION_WORDS = frozenset(
    {"qual", "quais", "quando", "onde", "quem", "como", "porque", "pq", "quanto", "cade"}
)
_CONJUNCTIONS = frozenset({"mas", "porem", "entretanto", "contudo", "todavia"})
# Courtesies that do not change what a short message means ("beleza, obrigada").
_KEYCAP = re.compile("([0-9])\ufe0f?\u20e3")
# "n° 2" typed with the degree sign for the ordinal indicator ("nº", which NFKD folds to
# "no"): the number sign, not a "não" and a symbol. A temperature ("38°") keeps its sign.
_NUMBER_SIGN = re.compile("\\b([nN])\\s?\u00b0")
_IGNORED = frozenset({"\ufe0f", "\u200d"})  # emoji variation selector, zero-width joiner
_CLAUSE_END = frozenset(".!?;,\n")
_REPEATED = re.compile(r"(.)\1+")


@dataclass(frozen=True, slots=True)
class Clause:
    tokens: tuple[str, ...]
    question: bool
    # Said after "mas"/"porém": what follows a "but" is usually what the writer decided.
    contrast: bool = False


@lru_cache(maxsize=8192)
def _squeeze(token: str) -> str:
    # Patients reuse few words: each is squeezed once.
    squeezed = _REPEATED.sub(r"\1", token)
    return _ALIASES.get(squeezed, squeezed)


def fold(text: str) -> str:
    """Lower case, accents removed, keycap digits made plain ("1️⃣" -> "1")."""
    if text.isascii():  # nothing to remove: accents, keycaps, emoji are all beyond ASCII
        return text.lower()
    text = _NUMBER_SIGN.sub(r"\1o ", _KEYCAP.sub(r"\1", text))
    decomposed = unicodedata.normalize("NFKD", text)
    kept = (
        ch
        for ch in decomposed
        if not unicodedata.combining(ch)
        and ch not in _IGNORED
        and not 0x1F3FB <= ord(ch) <= 0x1F3FF  # skin tones: 👍🏽 is 👍
    )
    return "".join(kept).lower()


def clauses(text: str) -> list[Clause]:
    clauses: list[Clause] = []
    tokens: list[str] = []
    word: list[str] = []
    contrast = [False]  # the clause being read follows a "mas"

    def end_word() -> None:
        if word:
            token = _squeeze("".join(word))
            word.clear()
            if token in _CONJUNCTIONS:
                end_clause(False)
                contrast[0] = True
            else:
                tokens.append(token)

    def end_clause(question: bool) -> None:
        if tokens:
            asks = question or tokens[0] in _QUESTION_WORDS
            clauses.append(Clause(tuple(tokens), asks, contrast[0]))
            tokens.clear()
            contrast[0] = False

    for ch in fold(text):
        if ch.isascii() and ch.isalnum():
            word.append(ch)
            continue
        end_word()
        if ch in _CLAUSE_END:
            end_clause(ch == "?")
        elif unicodedata.category(ch).startswith("S"):
            tokens.append(ch)  # an emoji is a word of its own
    end_word()
    end_clause(False)
    return clauses


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    folded = fold(phrase)
    words = re.findall(r"[a-z0-9]+\*?|[^\sa-z0-9*]", folded)
    return tuple(_squeeze(w[:-1]) + "*" if w.endswith("*") else _squeeze(w) for w in words)
