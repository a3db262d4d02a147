"""Understanding a patient's reply (pt-BR): reply -> Decision(intent, reason).

Order of evidence, strongest first:

1. a button's payload id (never its label: labels get edited);
2. a digit (or keycap emoji) of the numbered menu, only while that menu is pending;
3. an ``exact`` entry equal to the whole message ("SAIR", "ok", "pode ser");
4. ``phrases`` found anywhere, clause by clause.

Text is folded (case, accents, repeated letters) and split into clauses at
punctuation and at "mas"/"porém". Within a clause a phrase preceded by a
negation ("não", "nem", "nunca") means its intent's ``when_negated`` (a
negated "confirmo" is a cancellation), and a phrase inside a question counts
only for intents marked ``in_questions`` ("tem outro horário?"). When a
message says several things the highest ``priority`` wins, so "sim, mas não
vou poder" is a cancellation. Tokens of five letters or more tolerate one
typo. Every decision carries the rule that made it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from bot.core.flow_spec import Intent
from bot.core.wording import Clause, clauses, deletions, fold, phrase_tokens, token_matches

__all__ = ["UNKNOWN", "Decision", "Lexicon", "classify", "fold"]

UNKNOWN = "unknown"
NEGATORS = frozenset({"nao", "nem", "nunca", "jamais"})
# Courtesies that do not change what a short message means ("beleza, obrigada").
_COURTESIES = (
    ("bom", "dia"),
    ("boa", "tarde"),
    ("boa", "noite"),
    ("oi",),
    ("ola",),
    ("obrigado",),
    ("obrigada",),
    ("obg",),
    ("grato",),
    ("grata",),
    ("por", "favor"),
    ("pf",),
    ("pfv",),
)
_MENU_WORDS = frozenset({"opcao", "numero"})
_MEMO_SIZE = 4096
_NEGATION_REACH = 3  # "não vou mais poder": a negation reaches three words ahead


@dataclass(frozen=True, slots=True)
class Decision:
    """What a reply means, and why: ``rule`` names the kind of evidence, ``reason`` the detail."""

    intent: str
    reason: str
    rule: str  # button | menu | exact | phrase | negated | non_text | none

    @property
    def non_text(self) -> bool:
        """Audio, image, blank message or bare reaction: nothing to read, a person should look."""
        return self.rule == "non_text"


@dataclass(frozen=True, slots=True)
class _Pattern:
    intent: str
    source: str
    tokens: tuple[str, ...]
    negative: bool  # the phrase carries its own negation ("não vou poder")


@dataclass(frozen=True, slots=True)
class _Match:
    pattern: _Pattern
    start: int
    end: int  # exclusive


class Lexicon:
    """A flow's intents, compiled once per flow version."""

    def __init__(self, intents: Mapping[str, Intent]) -> None:
        self.intents = dict(intents)
        self.exact: dict[tuple[str, ...], list[str]] = {}
        self.patterns: list[_Pattern] = []
        for name, intent in intents.items():
            for entry in intent.exact:
                self.exact.setdefault(phrase_tokens(entry), []).append(name)
            for phrase in intent.phrases:
                tokens = phrase_tokens(phrase)
                if tokens:
                    negative = any(t in NEGATORS for t in tokens)
                    self.patterns.append(_Pattern(name, phrase, tokens, negative))

        words = {w for p in self.patterns for w in p.tokens}
        self._stems = tuple(w for w in words if w.endswith("*"))
        # Symmetric-delete index: a word one typo away shares a one-deletion variant.
        self._variants: dict[str, set[str]] = {}
        for word in words:
            if not word.endswith("*"):
                for variant in deletions(word) if len(word) >= 5 else (word,):
                    self._variants.setdefault(variant, set()).add(word)

        self.starting: dict[str, list[_Pattern]] = {}
        for pattern in self.patterns:
            self.starting.setdefault(pattern.tokens[0], []).append(pattern)
        # Patients reuse few words ("sim", "não", "vou"): remember what each one matched.
        self._seen: dict[str, frozenset[str]] = {}

    def words_matching(self, token: str) -> frozenset[str]:
        """The lexicon's words (and stems) that ``token`` matches, typos included."""
        known = self._seen.get(token)
        if known is not None:
            return known
        found = {w for w in self._stems if token_matches(w, token)}
        for variant in deletions(token):
            found |= {w for w in self._variants.get(variant, ()) if token_matches(w, token)}
        if len(self._seen) >= _MEMO_SIZE:
            self._seen.clear()
        self._seen[token] = result = frozenset(found)
        return result

    def priority(self, intent: str) -> int:
        spec = self.intents.get(intent)
        return spec.priority if spec else 0


def _find(pattern: _Pattern, hits: Sequence[frozenset[str]]) -> list[_Match]:
    """Occurrences of ``pattern``, allowing one extra word between its words.

    ``hits[i]`` is the set of lexicon words the i-th token matches.
    """
    found: list[_Match] = []
    for start, words in enumerate(hits):
        if pattern.tokens[0] not in words:
            continue
        position = start
        for word in pattern.tokens[1:]:
            candidates = [p for p in (position + 1, position + 2) if p < len(hits)]
            hit = next((p for p in candidates if word in hits[p]), None)
            if hit is None:
                break
            position = hit
        else:
            found.append(_Match(pattern, start, position + 1))
    return found


def _without_courtesies(tokens: tuple[str, ...]) -> tuple[str, ...]:
    kept = list(tokens)
    for courtesy in _COURTESIES:
        size = len(courtesy)
        i = 0
        while i + size <= len(kept):
            if tuple(kept[i : i + size]) == courtesy:
                del kept[i : i + size]
            else:
                i += 1
    return tuple(kept)


def _best(lexicon: Lexicon, names: Sequence[str]) -> str:
    return max(names, key=lexicon.priority)


def _whole_message(
    lexicon: Lexicon, tokens: tuple[str, ...], menu: Mapping[str, str], accepted: Collection[str]
) -> Decision | None:
    core = _without_courtesies(tokens) or tokens
    digits = [t for t in core if t not in _MENU_WORDS]
    if len(digits) == 1 and digits[0].isdigit():
        digit = digits[0]
        intent = menu.get(digit)
        if intent is None:
            return Decision(UNKNOWN, f'digit "{digit}" but no menu offers it now', "menu")
        if intent in accepted:
            return Decision(intent, f'menu digit "{digit}" -> {intent}', "menu")
    for candidate in (tokens, core):
        names = [n for n in lexicon.exact.get(candidate, ()) if n in accepted]
        if names:
            intent = _best(lexicon, names)
            return Decision(
                intent, f'whole message is "{" ".join(candidate)}" -> {intent}', "exact"
            )
    return None


def _select(matches: list[_Match]) -> list[_Match]:
    """Longest phrases first; a shorter one inside a longer one does not count."""
    chosen: list[_Match] = []
    taken: set[int] = set()
    for match in sorted(matches, key=lambda m: (-len(m.pattern.tokens), m.start)):
        span = set(range(match.start, match.end))
        if not span & taken:
            chosen.append(match)
            taken |= span
    return chosen


def _negated(match: _Match, tokens: Sequence[str], chosen: list[_Match]) -> bool:
    if match.pattern.negative:
        return False
    covered = {i for other in chosen for i in range(other.start, other.end)}
    reach = range(max(0, match.start - _NEGATION_REACH), match.start)
    return any(tokens[i] in NEGATORS and i not in covered for i in reach)


def _phrase_decision(
    lexicon: Lexicon, clauses: list[Clause], accepted: Collection[str]
) -> Decision:
    signals: list[tuple[int, int, str, str, str]] = []  # priority, clause, intent, why, rule
    notes: list[str] = []
    # Only what the state listens for competes: "pode cancelar" (a "yes" to another
    # question) must not shadow "cancel*" while the reminder is pending, and a negated
    # "confirmo" means "cancel" only where confirming was the question.
    patterns = [p for p in lexicon.patterns if p.intent in accepted]
    for index, clause in enumerate(clauses):
        hits = [lexicon.words_matching(token) for token in clause.tokens]
        firsts = {p for words in hits for w in words for p in lexicon.starting.get(w, ())}
        matches = [m for p in patterns if p in firsts for m in _find(p, hits)]
        chosen = _select(matches)
        for match in sorted(chosen, key=lambda m: m.start):
            pattern = match.pattern
            spec = lexicon.intents[pattern.intent]
            if clause.question and not spec.in_questions:
                notes.append(f'"{pattern.source}" ({pattern.intent}) is inside a question')
                continue
            intent, rule, why = pattern.intent, "phrase", f'phrase "{pattern.source}"'
            if _negated(match, clause.tokens, chosen):
                if spec.when_negated is None:
                    notes.append(f'"{pattern.source}" ({pattern.intent}) is negated')
                    continue
                intent, rule, why = spec.when_negated, "negated", f'negated "{pattern.source}"'
            if intent not in accepted:
                notes.append(f"{why} -> {intent}, not expected now")
                continue
            signals.append((lexicon.priority(intent), index, intent, why, rule))
    if not signals:
        return Decision(UNKNOWN, "; ".join(notes) or "no phrase matched", "none")
    signals.sort()
    _, _, intent, why, rule = signals[-1]
    reason = f"{why} -> {intent}"
    beaten = sorted({f"{w} -> {i}" for _, _, i, w, _ in signals[:-1] if i != intent})
    if beaten:
        reason += " (outranks " + ", ".join(beaten) + ")"
    return Decision(intent, reason, rule)


def classify(
    lexicon: Lexicon,
    texts: str | Sequence[str],
    *,
    accepted: Collection[str],
    button_id: str | None = None,
    buttons: Mapping[str, str] | None = None,
    menu: Mapping[str, str] | None = None,
    media_count: int = 0,
    is_reaction: bool = False,
) -> Decision:
    """Decide what a reply (or a burst of replies, considered together) means.

    ``accepted`` are the intents the current state listens for; ``buttons``
    maps payload ids to intents; ``menu`` maps digits to intents and is
    empty when no numbered menu is pending.
    """
    if button_id is not None:
        intent = (buttons or {}).get(button_id)
        if intent is None:
            return Decision(UNKNOWN, f'button "{button_id}" is not in this flow', "button")
        if intent not in accepted:
            return Decision(
                UNKNOWN, f'button "{button_id}" ({intent}) is not expected now', "button"
            )
        return Decision(intent, f'button "{button_id}" -> {intent}', "button")
    text = texts if isinstance(texts, str) else "\n".join(texts)
    parts = clauses(text)
    if not parts:
        if media_count:
            return Decision(UNKNOWN, f"{media_count} attachment(s), no text", "non_text")
        if is_reaction:
            return Decision(UNKNOWN, "a reaction without a readable emoji", "non_text")
        if not text.strip():
            return Decision(UNKNOWN, "empty message", "non_text")
        return Decision(UNKNOWN, "no words in the message", "none")
    tokens = tuple(t for c in parts for t in c.tokens)
    whole = _whole_message(lexicon, tokens, menu or {}, accepted)
    if whole is not None and whole.intent != UNKNOWN:
        return whole
    decision = _phrase_decision(lexicon, parts, accepted)
    if decision.intent == UNKNOWN and whole is not None:
        return whole  # the stale-digit explanation is the more useful one
    if decision.intent == UNKNOWN and media_count:
        return Decision(UNKNOWN, f"{decision.reason}; with {media_count} attachment(s)", "non_text")
    return decision
