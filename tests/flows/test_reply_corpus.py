"""The reply corpus and the confirmation flow's examples keep their conventions.

What tests/data/replies/README.md promises: a held-out development split shares no reply
with the examples of the state it answers, and the labelling conventions the flow encodes
(a bare "ok" acknowledges the cancellation in the reschedule offer; a request to stop the
messages is an opt-out whatever it also answers) hold in the compiled flow.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.evaluation import parse_cases, read_case
from bot.core.flow_check import check_flow
from bot.core.machine import CompiledFlow
from bot.core.reply_features import example_key

ROOT = Path(__file__).resolve().parents[2]
FLOW = ROOT / "flows/confirmation.yaml"
REPLIES = ROOT / "tests/data/replies"
# The held-out fifth of each round's training replies (never examples).
HELD_OUT = ("dev4", "dev5", "dev6", "dev7", "dev8", "dev9", "dev10")
STATE_OF = {"reminder": "awaiting_reply", "cancel_question": "confirm_cancel"}
STATE_OF["reschedule_offer"] = "cancelled"
LISTENS = {
    "reminder": {"confirm", "cancel", "reschedule", "opt_out", "unknown"},
    "cancel_question": {"yes", "no", "reschedule", "opt_out", "unknown"},
    "reschedule_offer": {"yes", "no", "reschedule", "opt_out", "unknown"},
}


def _examples_by_state(spec: dict[str, Any]) -> dict[str, dict[str, set[str]]]:
    """context -> example key -> intents a state answering that context learns it as."""
    shared: dict[str, set[str]] = {}
    for name, intent in spec["intents"].items():
        for text in intent.get("examples") or ():
            shared.setdefault(example_key(text), set()).add(name)
    for text in spec["fallback"]["examples"]:
        shared.setdefault(example_key(text), set()).add("unknown")
    found: dict[str, dict[str, set[str]]] = {}
    for context, state in STATE_OF.items():
        keys = {k: v & LISTENS[context] for k, v in shared.items() if v & LISTENS[context]}
        for intent, texts in (spec["states"][state].get("examples") or {}).items():
            for text in texts:
                keys.setdefault(example_key(text), set()).add(intent)
        found[context] = keys
    return found


@pytest.mark.parametrize("split", HELD_OUT)
def test_held_out_splits_are_never_examples(split: str) -> None:
    examples = _examples_by_state(yaml.safe_load(FLOW.read_text(encoding="utf-8")))
    cases, problems = parse_cases((REPLIES / f"{split}.tsv").read_text(encoding="utf-8"))
    assert problems == []
    assert len(cases) > 150  # a parsed file, not an empty one (dev10 holds 185)
    taught = [(c.line, c.text) for c in cases if example_key(c.text) in examples[c.context]]
    assert taught == []


@pytest.mark.parametrize("split", HELD_OUT)
def test_held_out_splits_are_the_hashed_fifth(split: str) -> None:
    """sha256(example_key), first 8 hex digits mod 5 == 0: the rule that chose them."""
    cases, _ = parse_cases((REPLIES / f"{split}.tsv").read_text(encoding="utf-8"))
    digests = [hashlib.sha256(example_key(c.text).encode()).hexdigest() for c in cases]
    assert [d for d in digests if int(d[:8], 16) % 5] == []


@pytest.fixture(scope="module")
def flow() -> CompiledFlow:
    compiled = check_flow(FLOW.read_text(encoding="utf-8"), str(FLOW)).flow
    assert compiled is not None
    return compiled


def test_a_bare_ok_confirms_the_reminder_and_answers_neither_yes_no_question(
    flow: CompiledFlow,
) -> None:
    offer = read_case(flow, "cancelled", "ok")
    assert (offer.intent, offer.firm) == ("unknown", False)
    # Tenth round: to "quer mesmo desmarcar?" a bare "ok" picks no button, and an unclear
    # reply to the cancel question must not cancel (it was read as yes before).
    assert read_case(flow, "confirm_cancel", "ok").intent == "unknown"
    assert read_case(flow, "awaiting_reply", "ok").intent == "confirm"
    # 👍 still accepts the call: an exact yes.
    thumbs = read_case(flow, "cancelled", "👍")
    assert (thumbs.intent, thumbs.firm) == ("yes", True)


def test_a_request_to_stop_the_messages_wins_over_the_answer(flow: CompiledFlow) -> None:
    # Examples of the flow (the convention as taught), read back in their state.
    relabelled = "Quero remarcar, e depois disso não quero mais receber essas mensagens"
    for state, text in (
        ("awaiting_reply", relabelled + " automáticas."),
        ("awaiting_reply", "vou sim, mas depois dessa não quero mais lembrete, tá"),
        ("confirm_cancel", "Sim, e não me mandem mais mensagem"),
    ):
        assert read_case(flow, state, text).intent == "opt_out", text


@pytest.mark.parametrize(
    ("state", "text", "intent"),
    [
        # Tenth round's settled conflicts (flows/README.md): a check mark alone does not say
        # which button to "quer mesmo desmarcar?" (asked again, never cancelled); a cross
        # says no there; "pode ser" after the reminder is an exact confirm; "deixa" (leave
        # it) declines the team's call.
        ("confirm_cancel", "✅", "unknown"),
        ("confirm_cancel", "❌", "no"),
        ("awaiting_reply", "✅", "confirm"),
        ("awaiting_reply", "pode ser", "confirm"),
        ("cancelled", "deixa", "no"),
        ("cancelled", "pode ser", "yes"),
    ],
)
def test_the_settled_label_conflicts_hold_in_the_flow(
    flow: CompiledFlow, state: str, text: str, intent: str
) -> None:
    assert read_case(flow, state, text).intent == intent
