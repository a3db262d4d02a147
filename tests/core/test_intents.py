"""Table tests for reply understanding (pure): firm evidence first, then the reply model."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from bot.core.flow_check import check_flow
from bot.core.intents import UNKNOWN, Decision, classify, fold
from bot.core.machine import CompiledFlow
from bot.core.menu_words import menu_number
from bot.core.reply_features import features
from bot.core.reply_model import Example, train

ROOT = Path(__file__).resolve().parents[2]


@cache
def flow(name: str) -> CompiledFlow:
    result = check_flow((ROOT / "flows" / f"{name}.yaml").read_text(encoding="utf-8"))
    assert result.flow is not None, result.problems
    return result.flow


def decide(text: str, state: str = "awaiting_reply", **kwargs: object) -> Decision:
    f = flow("confirmation")
    return classify(
        f.understanding,
        text,
        accepted=f.accepted[state],
        buttons=f.buttons,
        menu=kwargs.pop("menu", f.spec.states[state].menu),  # type: ignore[arg-type]
        state=state,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("raw", "folded"),
    [("NÃO", "nao"), ("Tá bom", "ta bom"), ("1️⃣", "1"), ("👍🏽", "👍"), ("ÇÉÍ", "cei")],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


@pytest.mark.parametrize(
    ("tokens", "number"),
    [
        (("2",), "2"),
        (("opcao", "3"), "3"),
        (("a", "de", "numero", "dois"), "2"),
        (("escolho", "a", "primeira"), "1"),
        (("tres",), "3"),
        (("um",), "1"),
        (("segunda",), None),  # Monday, not the second option
        (("quinta", "feira"), None),
        (("1", "e", "2"), None),
        (("1", "confirmar"), None),  # words the menu does not own: the model reads them
        (("1", "opa", "erei", "2"), "2"),
        (
            ("opcao", "1", "corecao", "opcao", "2"),
            "2",
        ),  # "Opção 1. Correção: opção 2"  # taken back ("errei", as folded): counts no more
        (("1", "erei", "e", "2"), "2"),
        (("erei", "1", "2"), None),  # nothing was taken back: two numbers
    ],
)
def test_menu_number(tokens: tuple[str, ...], number: str | None) -> None:
    assert menu_number(tokens) == number


@pytest.mark.parametrize(
    ("text", "intent", "rule"),
    [
        # the menu, in digits, keycaps and words, while it is pending
        ("1", "confirm", "menu"),
        ("2️⃣", "cancel", "menu"),
        ("opção 3", "reschedule", "menu"),
        ("a de número dois", "cancel", "menu"),
        ("n° 2", "cancel", "menu"),  # the degree sign for "nº": not a "não"
        ("nº 3", "reschedule", "menu"),
        ("segundo botão", "cancel", "menu"),
        ("4", UNKNOWN, "menu"),  # not on the menu: ask again, never guess
        # exact whole messages, courtesies aside; a question is not an answer
        ("SAIR", "opt_out", "exact"),
        ("Parar!", "opt_out", "exact"),
        ("beleza, obrigado", "confirm", "exact"),
        ("Boa tarde, ok", "confirm", "exact"),
        ("👍🏿", "confirm", "exact"),
        # free text: the model
        ("vou sim, pode contar comigo", "confirm", "model"),
        ("não vou conseguir ir, surgiu um imprevisto no trabalho", "cancel", "model"),
        ("consegue pra terça de manhã?", "reschedule", "model"),
        ("não me mandem mais nada por favor", "opt_out", "model"),
        ("qual o endereço?", UNKNOWN, "model"),
        ("depois eu confirmo", UNKNOWN, "model"),
        # two people, two answers: a person reads it
        ("eu vou, mas a consulta da minha filha pode cancelar", UNKNOWN, "two_people"),
        ("meu pai vai sim, mas eu não vou poder", UNKNOWN, "two_people"),
        # an acknowledgement says the message arrived, not that the patient comes
        ("ciente", UNKNOWN, "model"),
    ],
)
def test_reading_after_the_reminder(text: str, intent: str, rule: str) -> None:
    decision = decide(text)
    assert (decision.intent, decision.rule) == (intent, rule), decision.reason


def test_a_writer_correcting_themselves_around_a_relative_is_not_two_people() -> None:
    # Only clauses that name someone answer for a second person; the others are the writer's.
    decision = decide("não ia dar, mas minha irmã vai ficar com as crianças, então vou")
    assert decision.rule == "model", decision.reason


def test_a_bare_ta_is_read_not_taken_as_an_exact_confirm() -> None:
    # "tá" alone is taught as unclear (fallback.examples); "tá bom" stays an exact confirm.
    assert decide("tá").rule == "model"
    assert decide("tá bom").rule == "exact"


def test_what_follows_a_but_is_marked_as_the_contrast() -> None:
    # "ia cancelar mas meu chefe liberou, vou": the side after "mas" is what was decided.
    words = features("ia cancelar mas meu chefe liberou")[0]
    assert {"m:any", "m:chefe", "m:liberou", "w:cancelar"} <= set(words)
    assert "m:cancelar" not in words
    assert "m:any" not in features("ia cancelar, meu chefe liberou")[0]


def test_a_menu_number_taken_back_is_replaced_by_the_next() -> None:
    decision = decide("1\nopa errei, 2", "confirm_cancel")
    assert (decision.intent, decision.rule) == ("no", "menu")


def test_hedges_and_reported_plans_are_cues_beside_the_words() -> None:
    words = features("ia cancelar, mas vou")[0]
    assert {"w:cancelar", "r:cancelar", "r:any"} <= set(words)
    words = features("acho que vou")[0]
    assert {"w:vou", "h:vou", "h:any"} <= set(words)
    assert "h:any" not in features("vou sim")[0]


def test_a_question_is_not_an_exact_answer() -> None:
    decision = decide("ok?")
    assert decision.rule != "exact"


def test_firm_evidence_and_needing_a_person() -> None:
    assert decide("SAIR").firm
    assert decide("1").firm
    assert not decide("não me mandem mais nada por favor").firm
    two = decide("eu vou, mas a consulta da minha filha pode cancelar")
    assert two.needs_person
    assert not two.non_text


def test_model_decisions_carry_a_calibrated_confidence_and_no_patient_words() -> None:
    text = "Prezados, informo que não poderei comparecer à consulta de amanhã"
    decision = decide(text)
    assert decision.rule == "model"
    assert 0.0 < decision.confidence <= 1.0
    for word in ("prezados", "poderei", "comparecer", "amanha"):
        assert word not in fold(decision.reason)


def test_the_same_words_mean_what_the_state_asked() -> None:
    assert decide("sim", state="confirm_cancel").intent == "yes"
    assert decide("não", state="confirm_cancel").intent == "no"
    assert (
        decide("não precisa cancelar não, mantenha a marcação", state="confirm_cancel").intent
        == "no"
    )
    assert decide("pode cancelar por favor").intent == "cancel"


def test_each_yes_no_question_is_read_with_its_own_examples() -> None:
    # "quero manter" keeps the appointment when asked "quer mesmo desmarcar?"; after the
    # cancellation, asked "quer remarcar?", it is a protest a person should read.
    assert decide("quero manter", state="confirm_cancel").intent == "no"
    assert decide("eu quero manter a consulta", state="cancelled").intent == UNKNOWN
    assert decide("quero remarcar sim, pode ligar", state="cancelled").intent in {
        "yes",
        "reschedule",
    }
    f = flow("confirmation")
    own = f.understanding.model_for(f.accepted["cancelled"], "cancelled")
    assert own is not None
    assert own is not f.understanding.model_for(f.accepted["confirm_cancel"], "confirm_cancel")


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


def test_a_stray_digit_with_no_menu_pending_does_nothing() -> None:
    assert decide("1", menu={}).intent == UNKNOWN


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [({"media_count": 1}, "attachment"), ({"is_reaction": True}, "reaction"), ({}, "empty")],
)
def test_nothing_to_read_goes_to_a_person(kwargs: dict[str, object], reason: str) -> None:
    decision = decide("", **kwargs)
    assert decision.intent == UNKNOWN
    assert decision.non_text
    assert decision.needs_person
    assert reason in decision.reason


def test_a_burst_is_read_together() -> None:
    f = flow("confirmation")
    accepted = f.accepted["awaiting_reply"]
    burst = classify(f.understanding, ["oi", "bom dia", "não vou poder ir"], accepted=accepted)
    assert burst.intent == "cancel"


def test_satisfaction_scores() -> None:
    f = flow("satisfaction")
    accepted = f.accepted["asking"]

    def score(text: str) -> str:
        return classify(f.understanding, text, accepted=accepted, menu={"5": "great"}).intent

    assert score("5") == "great"
    assert score("Excelente atendimento!") == "great"
    assert score("não gostei") == "bad"
    assert score("muito ruim") == "awful"
    assert score("mais ou menos") == "fair"


def test_negation_marks_the_words_it_reaches() -> None:
    words = features("não vou faltar")[0]
    assert "n:faltar" in words
    assert "w:faltar" not in words
    words = features("vou faltar")[0]
    assert "w:faltar" in words
    words = features("desmarcar não, eu vou")[0]
    assert "p:desmarcar" in words


def test_training_is_deterministic_and_learns_the_examples() -> None:
    examples = tuple(
        Example(text, intent)
        for intent, texts in {
            "confirm": ["vou sim", "estarei lá", "pode contar comigo", "confirmo", "vou com certeza"],
            "cancel": ["não vou poder", "não consigo ir", "surgiu um imprevisto", "vou faltar",
                       "cancela pra mim"],
        }.items()
        for text in texts
    )  # fmt: skip
    first, second = train(examples), train(examples)
    assert first.classes == second.classes == ("cancel", "confirm")
    assert first.weights == second.weights
    assert first.temperature == second.temperature
    assert first.read("vou sim, obrigada").intent == "confirm"
    assert first.read("não vou poder ir amanhã").intent == "cancel"
    assert len(first.out_of_fold) == len(examples)
    # What flows check asks of each example, kept from training, is what read() says.
    for row, example in enumerate(examples):
        kept, read = first.fitted_reading(row), first.read(example.text)
        assert kept.intent == read.intent
        assert kept.confidence == pytest.approx(read.confidence)


def test_a_model_needs_two_intents() -> None:
    with pytest.raises(ValueError, match="two intents"):
        train((Example("sim", "confirm"), Example("vou", "confirm")))
