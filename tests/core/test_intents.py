"""Table tests for the reply classifier (pure)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from bot.core.flow_check import check_flow
from bot.core.intents import UNKNOWN, Decision, classify, fold
from bot.core.machine import CompiledFlow

ROOT = Path(__file__).resolve().parents[2]


@cache
def flow(name: str) -> CompiledFlow:
    result = check_flow((ROOT / "flows" / f"{name}.yaml").read_text(encoding="utf-8"))
    assert result.flow is not None, result.problems
    return result.flow


def decide(text: str, state: str = "awaiting_reply", **kwargs: object) -> Decision:
    f = flow("confirmation")
    return classify(
        f.lexicon,
        text,
        accepted=f.accepted[state],
        buttons=f.buttons,
        menu=kwargs.pop("menu", f.spec.states[state].menu),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("NÃO", "nao"),
        ("Tá bom", "ta bom"),
        ("1️⃣", "1"),
        ("👍🏽", "👍"),
        ("ÇÉÍ", "cei"),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


@pytest.mark.parametrize(
    ("text", "intent", "rule"),
    [
        # typos, repeated letters, accents
        ("simmmm", "confirm", "phrase"),
        ("comfirmo", "confirm", "phrase"),
        ("Desmarcaar", "cancel", "phrase"),
        ("cancelr", "cancel", "phrase"),
        ("CONFIRMADÍSSIMO", "confirm", "phrase"),
        # negation
        ("não confirmo", "cancel", "negated"),
        ("não irei", "cancel", "negated"),
        ("n vou poder", "cancel", "phrase"),
        ("não vou faltar", "confirm", "phrase"),
        ("sim mas não vou poder ir", "cancel", "phrase"),
        ("nao quero cancelar", UNKNOWN, "none"),
        # a question asks, it does not decide; a reschedule request may be a question
        ("posso confirmar?", UNKNOWN, "none"),
        ("qual o endereço", UNKNOWN, "none"),
        ("posso remarcar?", "reschedule", "phrase"),
        ("vou sim, qual o endereço?", "confirm", "phrase"),
        # conflicts: the stronger intent wins
        ("Sim, mas preciso remarcar", "reschedule", "phrase"),
        ("Não posso, pode remarcar?", "reschedule", "phrase"),
        # courtesies around a short answer
        ("beleza, obrigado", "confirm", "exact"),
        ("Boa tarde, ok", "confirm", "exact"),
        # opt-out only as the whole message, or an unmistakable phrase
        ("SAIR", "opt_out", "exact"),
        ("Parar!", "opt_out", "exact"),
        ("para", UNKNOWN, "none"),
        ("vou sair de casa cedo", UNKNOWN, "none"),
        ("pode parar de mandar? não quero receber", "opt_out", "phrase"),
        # bare "não" and greetings mean nothing here
        ("não", UNKNOWN, "none"),
        ("oi", UNKNOWN, "none"),
        # emoji
        ("👍", "confirm", "phrase"),
        ("👍🏿", "confirm", "phrase"),
        ("ok 👍", "confirm", "phrase"),
    ],
)
def test_phrases(text: str, intent: str, rule: str) -> None:
    decision = decide(text)
    assert (decision.intent, decision.rule) == (intent, rule), decision.reason


@pytest.mark.parametrize(
    ("text", "menu", "intent"),
    [
        ("1", {"1": "confirm"}, "confirm"),
        ("2️⃣", {"2": "cancel"}, "cancel"),
        ("opção 3", {"3": "reschedule"}, "reschedule"),
        ("1", {}, UNKNOWN),  # no menu pending: a stray digit does nothing
        ("4", {"1": "confirm"}, UNKNOWN),
    ],
)
def test_menu_digits_only_while_pending(text: str, menu: dict[str, str], intent: str) -> None:
    assert decide(text, menu=menu).intent == intent


def test_button_payload_wins_and_labels_are_not_payloads() -> None:
    assert decide("", button_id="cancel").intent == "cancel"
    assert decide("qualquer coisa", button_id="confirm").intent == "confirm"
    label = decide("", button_id="Confirmar")
    assert label.intent == UNKNOWN
    assert "not in this flow" in label.reason


def test_a_button_of_another_question_is_not_taken_here() -> None:
    decision = decide("", button_id="cancel_yes")
    assert decision.intent == UNKNOWN
    assert "not expected now" in decision.reason


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"media_count": 1}, "attachment"),
        ({"is_reaction": True}, "reaction"),
        ({}, "empty"),
    ],
)
def test_nothing_to_read_goes_to_a_person(kwargs: dict[str, object], reason: str) -> None:
    decision = decide("", **kwargs)
    assert decision.intent == UNKNOWN
    assert decision.non_text
    assert reason in decision.reason


def test_a_burst_is_read_together() -> None:
    f = flow("confirmation")
    accepted = f.accepted["awaiting_reply"]
    burst = classify(f.lexicon, ["oi", "bom dia", "não vou poder"], accepted=accepted)
    assert burst.intent == "cancel"


def test_the_same_words_mean_what_the_state_asked() -> None:
    assert decide("sim", state="confirm_cancel").intent == "yes"
    assert decide("não", state="confirm_cancel").intent == "no"
    assert decide("pode cancelar", state="confirm_cancel").intent == "yes"
    assert decide("pode cancelar por favor").intent == "cancel"


def test_satisfaction_scores() -> None:
    f = flow("satisfaction")
    accepted = f.accepted["asking"]

    def score(text: str) -> str:
        return classify(f.lexicon, text, accepted=accepted, menu={"5": "great"}).intent

    assert score("5") == "great"
    assert score("Excelente atendimento!") == "great"
    assert score("não foi bom") == "bad"
    assert score("muito ruim") == "awful"
    assert score("mais ou menos") == "fair"
