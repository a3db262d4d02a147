"""The flow picture's words and shape (bot/core/diagram.py), from the shipped flows."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from bot.core.diagram import ANYWHERE, START, Arrow, dot, mermaid, node_id, picture
from bot.core.diagram_words import duration_words, intent_words, otherwise_words, wrap
from bot.core.flow_check import parse_spec
from bot.core.flow_spec import FlowSpec

FLOWS = Path(__file__).resolve().parents[2] / "flows"


@cache
def _spec(name: str) -> FlowSpec:
    spec = parse_spec((FLOWS / f"{name}.yaml").read_text(encoding="utf-8"))
    assert spec is not None
    return spec


@pytest.mark.parametrize(
    ("after", "words"), [("24h", "24h"), ("30m", "30 min"), ("1d", "1 dia"), ("2d", "2 dias")]
)
def test_durations_in_words(after: str, words: str) -> None:
    assert duration_words(after) == words


@pytest.mark.parametrize(
    ("intent", "words"),
    [("confirm", "confirma"), ("cancel", "desmarca"), ("no", "não"), ("new_thing", "new thing")],
)
def test_intents_in_words(intent: str, words: str) -> None:
    assert intent_words(intent) == words


@pytest.mark.parametrize(
    ("conditions", "words"),
    [(("slots_offered",), "sem horários livres"), (("cancelled", "said_firmly"), "senão")],
)
def test_otherwise_in_words(conditions: tuple[str, ...], words: str) -> None:
    assert otherwise_words(conditions) == words


def test_wrap_keeps_words_whole() -> None:
    assert wrap("Uma pessoa da equipe   assume a conversa.", 12) == [
        "Uma pessoa",
        "da equipe",
        "assume a",
        "conversa.",
    ]


@pytest.mark.parametrize("name", ["confirmation", "satisfaction"])
def test_every_state_is_a_box_with_its_description(name: str) -> None:
    spec = _spec(name)
    drawn = picture(spec)
    for state_name, state in spec.states.items():
        assert state.description, f"{state_name} has no description to draw"
        assert drawn.boxes[node_id(state_name)] == state.description
    assert set(drawn.boxes) == {START, ANYWHERE} | {node_id(n) for n in spec.states}


@pytest.mark.parametrize("name", ["confirmation", "satisfaction"])
def test_what_people_read_has_no_ids(name: str) -> None:
    drawn = picture(_spec(name))
    words = list(drawn.boxes.values()) + [arrow.label for arrow in drawn.arrows]
    assert not [w for w in words if re.search(r"[a-z]_[a-z]", w)]
    assert "not understood" not in " ".join(words)


def test_the_confirmation_flow_in_words() -> None:
    drawn = picture(_spec("confirmation"))
    arrows = {(a.source, a.target): a for a in drawn.arrows}
    s = node_id
    assert arrows[START, s("awaiting_reply")].label == ""
    assert arrows[s("awaiting_reply"), s("second_reminder")].label == "sem resposta em 24h"
    assert arrows[s("confirm_opt_out"), s("still_subscribed")].label == "não (se não desmarcou)"
    # Confirmed (and asked to stop in the same reply) comes first, so "closed" is the last
    # of three: "senão" (before: "se já desmarcou", the only other one then).
    assert arrows[s("confirm_opt_out"), s("kept_messages")].label == "não (se já confirmou)"
    assert arrows[s("confirm_opt_out"), s("closed")].label == "não (senão)"
    assert arrows[s("reschedule"), s("reschedule_handoff")].label == "sem horários livres"
    assert arrows[s("choosing_slot"), s("reschedule_handoff")].label == (
        "nenhum horário serve, sem resposta em 12h"
    )
    assert arrows[s("closed"), s("after_cancelled")] == Arrow(
        s("closed"), s("after_cancelled"), "escreve depois", later=True
    )
    # what every question does alike is drawn once, from "Em qualquer pergunta"
    assert arrows[ANYWHERE, s("handoff")].label == "não entendi 2 vezes; áudio ou foto"
    assert arrows[ANYWHERE, s("opted_out")].label == (
        "não quer mensagens (por botão ou palavra exata)"
    )
    assert not [a for a in drawn.arrows if a.source != ANYWHERE and a.target == s("opted_out")][1:]


def test_questions_with_the_same_answers_are_one_group() -> None:
    drawn = picture(_spec("confirmation"))
    groups = sorted(drawn.groups.values(), key=len)
    assert groups == [
        [node_id("cancelled"), node_id("after_cancelled")],
        [
            node_id(n)
            for n in (
                "awaiting_reply",
                "second_reminder",
                "kept",
                "still_subscribed",
                "late_reply",
            )
        ],
    ]
    answers = {(a.source, a.label) for a in drawn.arrows if a.target == node_id("confirmed")}
    assert answers == {("g_1", "confirma")}  # one arrow, not five
    # Confirmed already: a "yes" goes elsewhere (no second confirmation), so it is drawn alone.
    again = Arrow(node_id("after_confirmed"), node_id("reconfirmed"), "confirma")
    assert again in drawn.arrows


def test_a_state_that_answers_alone_is_not_grouped() -> None:
    spec = _spec("confirmation")
    kept = spec.states["kept"]
    alone = kept.model_copy(update={"on": {k: v for k, v in kept.on.items() if k != "reschedule"}})
    spec = spec.model_copy(update={"states": {**spec.states, "kept": alone}})
    drawn = picture(spec)
    assert node_id("kept") not in [n for nodes in drawn.groups.values() for n in nodes]
    assert Arrow(node_id("kept"), node_id("confirmed"), "confirma") in drawn.arrows


def test_mermaid_text_highlights_one_state_and_escapes_quotes() -> None:
    spec = _spec("confirmation")
    text = mermaid(spec, "kept")
    assert text.startswith("flowchart TD\n")
    assert "    class s_kept atual\n" in text
    assert text.count(" atual\n") == 1
    assert "sirva (ou #quot;nenhum#quot;); a" in text  # a quote would end Mermaid's label
    assert "class s_kept atual" not in mermaid(spec)
    assert mermaid(spec, "no_such_state") == mermaid(spec)


def test_dot_text_for_graphviz() -> None:
    text = dot(_spec("confirmation"), "kept")
    assert text.startswith('digraph "confirmation" {\n')
    assert 'tooltip="estado: kept"' in text
    assert '(ou \\"nenhum\\")' in text
    assert "ltail=cluster_g_1" in text  # group arrows leave from the group's frame
    assert text.count("penwidth=3") == 1
