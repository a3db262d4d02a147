"""Scoring a flow's reply understanding on labelled replies (``digitaly flows evaluate``).

A case is a reply, the intent a person reads in it, a category (why it is
written that way) and a context: the state it answers, named by the state, by
the message that state sends, or by an alias the caller maps. A reading is
right when it is the labelled intent, or an intent that takes the same way
out of that state (in "cancelled", "yes" and "reschedule" both reschedule).

Dangerous errors are the ones that act against the patient: opposite answers
swapped (confirm <-> cancel, yes <-> no), anything read as opt_out that is not,
and an unclear reply or an opt-out read as an answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.intents import UNKNOWN, Decision, classify
from bot.core.machine import CompiledFlow

__all__ = ["Case", "ContextScore", "Report", "evaluate", "parse_cases"]

_OPPOSITES = (frozenset({"confirm", "cancel"}), frozenset({"yes", "no"}))
_ANSWERS = frozenset({"confirm", "cancel", "yes", "no"})


@dataclass(frozen=True, slots=True)
class Case:
    text: str
    intent: str
    category: str
    context: str
    line: int


@dataclass(frozen=True, slots=True)
class Miss:
    case: Case
    read: str
    confidence: float
    dangerous: bool


@dataclass(slots=True)
class ContextScore:
    """The figures of one context (one state)."""

    context: str
    state: str
    total: int = 0
    right: int = 0
    clear: int = 0  # cases a person read as an intent, not unknown
    unknown_on_clear: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (labelled, read)
    categories: dict[str, list[int]] = field(default_factory=dict)  # category -> [right, total]
    misses: list[Miss] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0

    @property
    def unknown_rate(self) -> float:
        return self.unknown_on_clear / self.clear if self.clear else 0.0

    @property
    def dangerous(self) -> list[Miss]:
        return [m for m in self.misses if m.dangerous]


@dataclass(slots=True)
class Report:
    contexts: dict[str, ContextScore]

    @property
    def total(self) -> int:
        return sum(c.total for c in self.contexts.values())

    @property
    def accuracy(self) -> float:
        total = self.total
        return sum(c.right for c in self.contexts.values()) / total if total else 0.0

    @property
    def dangerous(self) -> list[Miss]:
        return [m for c in self.contexts.values() for m in c.dangerous]


def parse_cases(text: str) -> tuple[list[Case], list[str]]:
    """Cases from TSV (reply, intent, category, context; ``#`` comments), and line problems."""
    cases: list[Case] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = raw.split("\t")
        if len(fields) == 2:
            fields += ["", ""]
        if len(fields) != 4:
            problems.append(
                f"linha {number}: esperava 4 colunas separadas por TAB, há {len(fields)}"
            )
            continue
        reply, intent, category, context = (f.strip() for f in fields)
        reply = "" if reply == "<empty>" else reply.replace("\\n", "\n")
        cases.append(Case(reply, intent, category or "-", context, number))
    return cases, problems


def _exit(flow: CompiledFlow, state: str, intent: str) -> tuple[str, tuple[str, ...]] | None:
    targets = flow.table.get((state, intent))
    return (targets[0].dest, tuple(n for n, _ in targets[0].actions)) if targets else None


def _same_way(flow: CompiledFlow, state: str, labelled: str, read: str) -> bool:
    if labelled == read:
        return True
    if UNKNOWN in (labelled, read):
        return False
    way = _exit(flow, state, labelled)
    return way is not None and way == _exit(flow, state, read)


def _dangerous(labelled: str, read: str) -> bool:
    if frozenset({labelled, read}) in _OPPOSITES:
        return True
    if read == "opt_out":
        return labelled != "opt_out"
    return labelled in (UNKNOWN, "opt_out") and read in _ANSWERS


def resolve_state(flow: CompiledFlow, context: str, aliases: Mapping[str, str]) -> str | None:
    """The state a context names: an alias, a state, or the state that sends that message."""
    context = aliases.get(context, context) or flow.waiting_state
    if context in flow.spec.states:
        return context
    return next((n for n, s in flow.spec.states.items() if context in s.send and s.waits), None)


def read_case(flow: CompiledFlow, state: str, text: str) -> Decision:
    spec = flow.spec.states[state]
    return classify(
        flow.understanding, text, accepted=flow.accepted[state], buttons=flow.buttons,
        menu=spec.menu, state=state,
    )  # fmt: skip


def evaluate(flow: CompiledFlow, cases: Sequence[Case], states: Mapping[str, str]) -> Report:
    """Read every case in the state its context names (``states``: context -> state)."""
    report = Report({})
    for case in cases:
        state = states[case.context]
        score = report.contexts.setdefault(case.context, ContextScore(case.context, state))
        decision = read_case(flow, state, case.text)
        read = decision.intent
        right = _same_way(flow, state, case.intent, read)
        score.total += 1
        score.confusion[(case.intent, read)] += 1
        tally = score.categories.setdefault(case.category, [0, 0])
        tally[1] += 1
        if case.intent != UNKNOWN:
            score.clear += 1
            score.unknown_on_clear += read == UNKNOWN
        if right:
            score.right += 1
            tally[0] += 1
        else:
            miss = Miss(case, read, decision.confidence, _dangerous(case.intent, read))
            score.misses.append(miss)
    return report
