"""Portuguese text as the classifier sees it: folded, split into clauses, compared loosely.

Folding removes case, accents, emoji skin tones and keycaps; repeated letters
collapse ("simmm" -> "sim"); hurried spellings of "não" ("n", "naum") become
"nao". Text splits into clauses at punctuation and at "mas"/"porém". Words of
five letters or more tolerate one typo (a letter added, dropped, changed or two
swapped); a trailing ``*`` in a lexicon word matches any ending.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Clause", "clauses", "deletions", "fold", "phrase_tokens", "token_matches"]

# Spellings of "não" as typed in a hurry ("n vou poder", "naum", "ñ").
_ALIASES = {"n": "nao", "naum": "nao", "nao": "nao"}
_QUESTION_WORDS = frozenset(
    {"qual", "quais", "quando", "onde", "quem", "como", "porque", "pq", "quanto", "cade"}
)
_CONJUNCTIONS = frozenset({"mas", "porem", "entretanto", "contudo", "todavia"})
# Courtesies that do not change what a short message means ("beleza, obrigada").
_KEYCAP = re.compile("([0-9])\ufe0f?\u20e3")
_IGNORED = frozenset({"\ufe0f", "\u200d"})  # emoji variation selector, zero-width joiner
_CLAUSE_END = frozenset(".!?;,\n")


@dataclass(frozen=True, slots=True)
class Clause:
    tokens: tuple[str, ...]
    question: bool


def _squeeze(token: str) -> str:
    squeezed = re.sub(r"(.)\1+", r"\1", token)
    return _ALIASES.get(squeezed, squeezed)


def fold(text: str) -> str:
    """Lower case, accents removed, keycap digits made plain ("1️⃣" -> "1")."""
    text = _KEYCAP.sub(r"\1", text)
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

    def end_word() -> None:
        if word:
            token = _squeeze("".join(word))
            word.clear()
            if token in _CONJUNCTIONS:
                end_clause(False)
            else:
                tokens.append(token)

    def end_clause(question: bool) -> None:
        if tokens:
            asks = question or tokens[0] in _QUESTION_WORDS
            clauses.append(Clause(tuple(tokens), asks))
            tokens.clear()

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


def _within_one(a: str, b: str) -> bool:
    """At most one typo apart: one letter added, dropped, changed, or two swapped."""
    if a == b:
        return True
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    return a[i + 2 :] == b[i + 2 :] and a[i : i + 2] == b[i : i + 2][::-1]


def _close(word: str, token: str) -> bool:
    # Short words get no typo budget: "para" must never read as "parar".
    return len(word) >= 5 and _within_one(word, token)


def deletions(word: str) -> set[str]:
    """The word and every way of dropping one of its letters."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def token_matches(word: str, token: str) -> bool:
    if word.endswith("*"):
        stem = word[:-1]
        if token.startswith(stem):
            return True
        return len(stem) >= 5 and any(
            _close(stem, token[:n]) for n in (len(stem) - 1, len(stem), len(stem) + 1)
        )
    return token == word or _close(word, token)


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    folded = fold(phrase)
    words = re.findall(r"[a-z0-9]+\*?|[^\sa-z0-9*]", folded)
    return tuple(_squeeze(w[:-1]) + "*" if w.endswith("*") else _squeeze(w) for w in words)
