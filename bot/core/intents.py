"""Understanding a patient's reply (pt-BR): reply -> Decision(intent, reason, rule, confidence).

Order of evidence, strongest first:

1. a button's payload id (never its label: labels get edited);
2. a number of the numbered menu, only while that menu is pending: a digit,
   a keycap, or the number written out, alone or with "opção", "a de número",
   "escolho a" around it ("a de número dois", "opção 3", "a primeira";
   :mod:`bot.core.menu_words`);
3. an ``exact`` entry equal to the whole message ("SAIR", "ok"), courtesies aside;
4. the flow's reply model (:mod:`bot.core.reply_model`), trained on the
   examples of the intents the current state listens for plus the examples
   of replies that need asking again (``fallback.examples``). Below the
   intent's ``min_confidence`` the answer is unknown.

Before the model decides, a message whose clauses answer differently and that
speaks of someone else ("eu vou, mas a consulta da minha filha pode cancelar")
is a ``two_people`` decision: a person reads it, whatever the model would say. An answer
the model reads in a shape that does not answer (an answer word asked back, a menu number
beside words of the other answer, an answer for each branch of a condition:
:mod:`bot.core.reply_shapes`) is a ``shape`` decision: unknown, asked again.

Only buttons, menu numbers and exact entries are *firm* evidence; a flow sends
a cancellation or an opt-out read by the model through one confirming
question (see ``flows/README.md``). A decision's reason never quotes the
patient's words: it is logged.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

from bot.core.flow_spec import FlowSpec
from bot.core.intent_names import UNKNOWN
from bot.core.menu_words import menu_number
from bot.core.reply_emphasis import plain_emphasis
from bot.core.reply_features import example_key, tokens_of
from bot.core.reply_fitting import Fit, fit_here, forget_models, trained
from bot.core.reply_model import Example, Reading, ReplyModel
from bot.core.reply_parts import answer_part
from bot.core.reply_shapes import (
    ANSWERS,
    OPPOSITE,
    corrected_number,
    menu_against_words,
    odd_shape,
)
from bot.core.reply_structure import names_in, two_people
from bot.core.wording import Clause, clauses, fold, phrase_tokens

__all__ = [
    "UNKNOWN",
    "Decision",
    "Fit",
    "Understanding",
    "classify",
    "fit_here",
    "fold",
    "forget_models",
]

FIRM_RULES = frozenset({"button", "menu", "exact"})
PERSON_RULES = frozenset({"non_text", "two_people"})
# Courtesies that do not change what a short message means ("beleza, obrigada").
_COURTESIES = (
    ("bom", "dia"), ("boa", "tarde"), ("boa", "noite"), ("oi",), ("ola",), ("obrigado",),
    ("obrigada",), ("obg",), ("grato",), ("grata",), ("por", "favor"), ("pf",), ("pfv",),
)  # fmt: skip
_COURTESY_STARTS = frozenset(c[0] for c in _COURTESIES)
_LONGEST_MENU_ANSWER = 10  # "bom dia, eu escolho a opção de número dois, obrigada"
DEFAULT_MIN_CONFIDENCE = 0.5
# Reading "confirm" while "cancel" stays this likely (or "yes" against "no") is a coin toss
# between opposite outcomes: ask again instead.
OPPOSITE_DOUBT = 0.3  # chosen on the development sets (tests/data/replies/README.md)


@dataclass(frozen=True, slots=True)
class Decision:
    """What a reply means, and why: ``rule`` names the kind of evidence, ``reason`` the detail."""

    intent: str
    reason: str
    rule: str  # button | menu | exact | model | shape | non_text | two_people | none
    confidence: float = 1.0

    @property
    def non_text(self) -> bool:
        """Audio, image, blank message or bare reaction: nothing to read, a person should look."""
        return self.rule == "non_text"

    @property
    def needs_person(self) -> bool:
        """Nothing to read, or a message about two people: never ask again, hand over."""
        return self.rule in PERSON_RULES

    @property
    def firm(self) -> bool:
        """A button, a menu number or an exact word: what the patient chose, not what we read."""
        return self.rule in FIRM_RULES


class Understanding:
    """A flow's exact words and reply models, compiled once per flow version.

    ``accepted`` maps each state to the intents it listens for; one model is
    trained per distinct group of intents that have examples, by ``fit`` (all in one call).
    """

    def __init__(
        self, spec: FlowSpec, accepted: Mapping[str, frozenset[str]], fit: Fit = fit_here
    ) -> None:
        self.intents = dict(spec.intents)
        self.exact: dict[tuple[str, ...], list[str]] = {}
        for name, intent in spec.intents.items():
            for entry in intent.exact:
                self.exact.setdefault(phrase_tokens(entry), []).append(name)
        self.unclear = {phrase_tokens(entry) for entry in spec.fallback.exact}
        # Longer messages cannot be a whole-message entry, even wrapped in courtesies.
        self.longest = max((len(k) for k in [*self.exact, *self.unclear]), default=0) + 6
        self.thresholds = {
            name: intent.min_confidence
            if intent.min_confidence is not None
            else spec.fallback.min_confidence
            for name, intent in spec.intents.items()
        }
        self.examples: dict[str, tuple[Example, ...]] = {
            name: tuple(
                Example(text, name, ("intents", name, key, str(i)))
                for key in ("examples", "phrases")
                for i, text in enumerate(getattr(intent, key))
            )
            for name, intent in spec.intents.items()
        }
        self.examples[UNKNOWN] = tuple(
            Example(text, UNKNOWN, ("fallback", "examples", str(i)))
            for i, text in enumerate(spec.fallback.examples)
        )
        # A state's own examples ("quero manter" is "no" to "quer mesmo desmarcar?" but "yes"
        # to "quer remarcar?"): they win over the shared ones with the same key.
        self.own: dict[str, tuple[Example, ...]] = {
            state: tuple(
                Example(text, intent, ("states", state, "examples", intent, str(i)))
                for intent, texts in sorted(spec.states[state].examples.items())
                if intent == UNKNOWN or intent in accepted[state]
                for i, text in enumerate(texts)
            )
            for state in sorted(accepted)
        }
        self._keys: dict[str, str] = {}
        self.state_models: dict[str, ReplyModel] = {}
        self._state_groups: dict[str, frozenset[str]] = {}
        shared = {self.group(a) for s, a in accepted.items() if not self.own[s]}
        sets = {intents: self.training_set(intents) for intents in sorted(shared, key=sorted)}
        sets = {
            intents: selected
            for intents, selected in sets.items()
            if len(intents) >= 2 and selected
        }
        for state in sorted(s for s in accepted if self.own[s]):
            if len(intents := self.group(accepted[state])) >= 2:
                self._state_groups[state] = intents
        own = {state: self.training_set(g, state) for state, g in self._state_groups.items()}
        fitted = iter(trained([*sets.values(), *own.values()], fit))  # one fit for all of them
        self.models: dict[frozenset[str], ReplyModel] = {intents: next(fitted) for intents in sets}
        self.state_models.update((state, next(fitted)) for state in own)

    def key(self, text: str) -> str:
        """:func:`example_key` of an example, computed once per text."""
        found = self._keys.get(text)
        if found is None:
            found = self._keys[text] = example_key(text)
        return found

    def training_set(
        self, intents: frozenset[str], state: str | None = None
    ) -> tuple[Example, ...]:
        """The examples of ``intents`` (with ``state``'s own first, winning over the shared
        ones); a reply that is unclear elsewhere but an intent's example here ("não" to a
        yes/no question) teaches that intent, not "unknown"."""
        own = self.own.get(state, ()) if state is not None else ()
        taken = {self.key(e.text) for e in own}
        named = tuple(
            e
            for name in sorted(intents - {UNKNOWN})
            for e in self.examples[name]
            if self.key(e.text) not in taken
        )
        taken |= {self.key(e.text) for e in named}
        unclear = tuple(e for e in self.examples[UNKNOWN] if self.key(e.text) not in taken)
        return own + named + unclear

    def readers(self) -> Iterator[tuple[tuple[Example, ...], ReplyModel]]:
        """Each distinct model with the examples it learnt from, in training order."""
        for intents, model in self.models.items():
            yield self.training_set(intents), model
        for state, model in self.state_models.items():
            yield self.training_set(self._state_groups[state], state), model

    def group(self, accepted: Collection[str]) -> frozenset[str]:
        """The intents a model for ``accepted`` tells apart (those with examples, and unknown)."""
        named = {i for i in accepted if self.examples.get(i)}
        return frozenset(named | {UNKNOWN}) if named else frozenset()

    def model_for(self, accepted: Collection[str], state: str | None = None) -> ReplyModel | None:
        """The model of ``state`` when it has examples of its own, else the shared one."""
        if state is not None and state in self.state_models:
            return self.state_models[state]
        return self.models.get(self.group(accepted))

    def priority(self, intent: str) -> int:
        spec = self.intents.get(intent)
        return spec.priority if spec else 0


def _without_courtesies(tokens: tuple[str, ...]) -> tuple[str, ...]:
    if _COURTESY_STARTS.isdisjoint(tokens):
        return tokens
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


def _whole_message(
    understanding: Understanding,
    tokens: tuple[str, ...],
    menu: Mapping[str, str],
    accepted: Collection[str],
    asks: bool,
) -> Decision | None:
    if len(tokens) > max(understanding.longest, _LONGEST_MENU_ANSWER):
        return None
    core = _without_courtesies(tokens) or tokens
    number = menu_number(core)
    if number is not None:
        intent = menu.get(number)
        if intent is None:
            return Decision(UNKNOWN, f'menu number "{number}" but no menu offers it now', "menu")
        if intent in accepted:
            return Decision(intent, f'menu number "{number}" -> {intent}', "menu")
    if asks:
        return None  # "sim?" asks; it does not answer
    for candidate in (tokens, core):
        names = [n for n in understanding.exact.get(candidate, ()) if n in accepted]
        if names:
            intent = max(names, key=understanding.priority)
            return Decision(intent, f"whole message is an exact entry of {intent}", "exact")
    if tokens in understanding.unclear or core in understanding.unclear:
        return Decision(UNKNOWN, "whole message is one that answers nothing here", "exact")
    return None


def _corrected_to_number(
    parts: Sequence[Clause],
    menu: Mapping[str, str],
    accepted: Collection[str],
    model: ReplyModel | None,
) -> Decision | None:
    """The menu number a correction ends with (:func:`reply_shapes.corrected_number`), as
    firm as a digit while the menu is pending; None when the correction ends with words that
    answer (the model reads those)."""
    number = corrected_number(parts, menu, model)
    intent = menu.get(number) if number is not None else None
    if intent is None or intent not in accepted:
        return None
    return Decision(intent, f'menu number "{number}" after a correction -> {intent}', "menu")


def _describe(reading: Reading) -> str:
    runner = ", ".join(f"{name} {p:.2f}" for name, p in reading.ranked[1:3])
    return f"model: {reading.intent} {reading.confidence:.2f} (then {runner})"


def _model_decision(
    understanding: Understanding,
    parts: list[Clause],
    accepted: Collection[str],
    state: str | None,
    names: frozenset[str] = frozenset(),
) -> Decision:
    model = understanding.model_for(accepted, state)
    if model is None:
        return Decision(UNKNOWN, "no examples to read free text in this state", "none", 0.0)
    if two_people(model, parts, names=names):
        return Decision(UNKNOWN, "the message answers differently for two people", "two_people")
    parts = plain_emphasis(parts) or parts  # "impossível eu não ir" read as "vou sim"
    whole = model.read("", parts)
    decision = _judge(understanding, whole)
    if decision.intent == UNKNOWN:
        return _answer_part(understanding, model, parts) or decision
    return decision


def _answer_part(
    understanding: Understanding, model: ReplyModel, parts: list[Clause]
) -> Decision | None:
    """The answer of a message whose other parts are questions, courtesies or reasons ("Vou
    sim. Posso ir de bermuda?"; :mod:`bot.core.reply_parts`), judged as a whole message is.
    A whole reading that leans to another answer does not veto it: the other parts are what
    dilute the whole ("sim, vou precisar pagar alguma taxa?" reads "no" 0.46 to "quer mesmo
    desmarcar?"); the parts' own roles say when to abstain."""
    kept = answer_part(model, parts)
    answer = _judge(understanding, model.read("", kept)) if kept else None
    if answer is None or answer.intent == UNKNOWN:
        return None
    reason = f"answer beside other parts, {answer.reason}"
    return Decision(answer.intent, reason, "model", answer.confidence)


def _judge(understanding: Understanding, reading: Reading) -> Decision:
    """The model's reading, or unknown when it is unsure or torn between opposite answers."""
    intent, confidence = reading.intent, reading.confidence
    if intent == UNKNOWN:
        return Decision(UNKNOWN, _describe(reading), "model", confidence)
    threshold = understanding.thresholds.get(intent, DEFAULT_MIN_CONFIDENCE)
    opposite = OPPOSITE.get(intent)
    if opposite is not None and reading.probability(opposite) >= OPPOSITE_DOUBT:
        reason = f"{_describe(reading)}: too close to the opposite answer"
        return Decision(UNKNOWN, reason, "model", confidence)
    if confidence < threshold:
        reason = f"{_describe(reading)}, below {intent}'s {threshold:.2f}"
        return Decision(UNKNOWN, reason, "model", confidence)
    return Decision(intent, _describe(reading), "model", confidence)


def classify(
    understanding: Understanding,
    texts: str | Sequence[str],
    *,
    accepted: Collection[str],
    button_id: str | None = None,
    buttons: Mapping[str, str] | None = None,
    menu: Mapping[str, str] | None = None,
    media_count: int = 0,
    is_reaction: bool = False,
    state: str | None = None,
) -> Decision:
    """Decide what a reply (or a burst of replies, considered together) means.

    ``accepted`` are the intents the current state listens for; ``buttons``
    maps payload ids to intents; ``menu`` maps digits to intents and is
    empty when no numbered menu is pending; ``state`` picks the model of a state that has
    examples of its own.
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
    tokens = tokens_of(parts)
    asks = any(c.question for c in parts)
    whole = _whole_message(understanding, tokens, menu or {}, accepted, asks)
    if whole is not None:  # includes a number no menu offers now: ask again, do not guess
        return whole
    model = understanding.model_for(accepted, state)
    corrected = _corrected_to_number(parts, menu or {}, accepted, model)
    if corrected is not None:
        return corrected
    against = menu_against_words(model, parts, menu or {}) if model is not None else None
    if against is not None:
        return Decision(UNKNOWN, against, "shape", 0.0)
    decision = _model_decision(understanding, parts, accepted, state, names_in(text))
    shape = odd_shape(model, parts) if model is not None and decision.rule == "model" else None
    if shape and decision.intent in ANSWERS:  # words that answer, in a shape that does not
        decision = Decision(UNKNOWN, f"{shape} ({decision.reason})", "shape", decision.confidence)
    if decision.intent == UNKNOWN and media_count:
        return Decision(UNKNOWN, f"{decision.reason}; with {media_count} attachment(s)", "non_text")
    return decision
