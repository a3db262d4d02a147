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
# A run of ASCII letters and digits is a word; every other character but a space is looked
# at alone (a clause end, an emoji, or a mark that only ends the word before it). One regex
# pass instead of a Python step per character.
_PIECES = re.compile("[A-Za-z0-9]+|[^A-Za-z0-9 ]")
_WORD_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


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
    return unicodedata.normalize("NFKD", text).translate(_DROPPED).lower()


class _Dropped(dict[int, int | None]):
    """For ``str.translate``: None for the characters folding drops (accents and other
    combining marks, emoji selectors and joiners, skin tones: 👍🏽 is 👍), the character
    itself otherwise; each character looked up once, not once per message."""

    def __missing__(self, code: int) -> int | None:
        ch = chr(code)
        dropped = unicodedata.combining(ch) or ch in _IGNORED or 0x1F3FB <= code <= 0x1F3FF
        kept = None if dropped else code
        if len(self) < _CHARACTERS_KEPT:
            self[code] = kept
        return kept


_CHARACTERS_KEPT = 8192
_DROPPED = _Dropped()


@lru_cache(maxsize=4096)
def _symbol(ch: str) -> bool:
    return unicodedata.category(ch).startswith("S")


def clauses(text: str) -> list[Clause]:
    """The clauses of ``text``: its words, folded and squeezed, split at punctuation and at
    a conjunction of contrast (the clause after it is marked); an emoji is a word of its own."""
    found: list[Clause] = []
    tokens: list[str] = []
    contrast = False  # the clause being read follows a "mas"
    for piece in _PIECES.findall(fold(text)):
        after_but = False
        if piece[0] in _WORD_START:
            token = _squeeze(piece)
            if token not in _CONJUNCTIONS:
                tokens.append(token)
                continue
            question, after_but = False, True  # "mas" ends a clause and opens one
        elif piece in _CLAUSE_END:
            question = piece == "?"
        else:
            if _symbol(piece):
                tokens.append(piece)
            continue  # any other mark only ends the word before it
        if tokens:
            asks = question or tokens[0] in _QUESTION_WORDS
            found.append(Clause(tuple(tokens), asks, contrast))
            tokens.clear()
            contrast = False
        contrast = contrast or after_but
    if tokens:
        found.append(Clause(tuple(tokens), tokens[0] in _QUESTION_WORDS, contrast))
    return found


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    folded = fold(phrase)
    words = re.findall(r"[a-z0-9]+\*?|[^\sa-z0-9*]", folded)
    return tuple(_squeeze(w[:-1]) + "*" if w.endswith("*") else _squeeze(w) for w in words)
