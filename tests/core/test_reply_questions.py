"""Shapes that are not a plain answer whatever their words, and turns of phrase read plainly.

Every reply below was read wrongly before the code it tests (most of them dangerously: an
answer word asked back read as that answer, a menu number beside words of the other answer
read by the words, "esquece a consulta" read as keep).
"""

from __future__ import annotations

import pytest

from bot.core.intents import UNKNOWN
from bot.core.menu_words import menu_number
from bot.core.reply_cues import plainer
from bot.core.reply_shapes import conditional_both_ways, odd_shape
from bot.core.wording import clauses
from tests.core.test_intents import decide, flow

REMINDER, CANCEL_QUESTION, OFFER = "awaiting_reply", "confirm_cancel", "cancelled"


@pytest.mark.parametrize(
    "text",
    ["cancela?", "manter?", "mantem??", "ué, mantém?"],
)
def test_an_answer_word_asked_back_is_not_an_answer(text: str) -> None:
    decision = decide(text, CANCEL_QUESTION)
    assert decision.intent == UNKNOWN, decision.reason
    # the shape says so whatever the model makes of the whole (examples may teach it too)
    model = flow("confirmation").understanding.model_for(
        flow("confirmation").accepted[CANCEL_QUESTION], CANCEL_QUESTION
    )
    assert model is not None
    assert odd_shape(model, clauses(text)) == "an answer word asked back"


@pytest.mark.parametrize(
    ("text", "intent"),
    [("desmarca sim?", "yes"), ("pode desmarcar?", "yes"), ("mantém sim?", "no")],
)
def test_a_request_asked_politely_is_still_an_answer(text: str, intent: str) -> None:
    assert decide(text, CANCEL_QUESTION).intent == intent


def test_a_request_after_the_reminder_is_still_an_answer() -> None:
    assert decide("pode cancelar por favor?").intent == "cancel"


def test_a_slip_owned_before_a_number_in_words_keeps_that_number() -> None:
    # "o 1 errado" owns the 1 as the slip; the number after it ("dois") is the choice
    assert menu_number(("mandei", "o", "1", "erado", "e", "o", "dois")) == "2"
    assert decide("mandei o 1 errado, é o dois").intent == "cancel"


@pytest.mark.parametrize(
    ("text", "intent"),
    [("2 ... ops, 1, foi o dedo", "confirm"), ("1\nopa, 2, dedo torto", "cancel")],
)
def test_a_number_corrected_then_the_slip_explained(text: str, intent: str) -> None:
    decision = decide(text)
    assert decision.intent == intent, decision.reason


def test_a_slip_explained_after_the_number_leaves_the_number_firm() -> None:
    decision = decide("2 ... ops, 1, foi o dedo")
    assert (decision.intent, decision.rule) == ("confirm", "menu"), decision.reason


def test_words_after_a_corrected_number_that_doubt_leave_it_unread() -> None:
    assert decide("2... não, 1... sei lá, vou pensar").intent == UNKNOWN


@pytest.mark.parametrize(("text", "state"), [("sim 2", REMINDER), ("2 sim", REMINDER), ("1 e 2", REMINDER), ("1 ou 2", CANCEL_QUESTION)])  # fmt: skip
def test_a_menu_number_against_words_or_another_number_is_unknown(text: str, state: str) -> None:
    decision = decide(text, state)
    assert (decision.intent, decision.rule) == (UNKNOWN, "shape"), decision.reason


@pytest.mark.parametrize("text", ["vou sim, estarei aí às 2", "1 vou sim"])
def test_a_time_or_an_agreeing_number_is_no_contradiction(text: str) -> None:
    assert decide(text).intent == "confirm"


@pytest.mark.parametrize(
    "text",
    [
        "se tiver vaga no sábado eu quero, se não tiver não preciso",
        "se tiver com a mesma médica eu quero, se não tiver deixa",
    ],
)
def test_an_answer_for_each_branch_of_a_condition_is_unknown(text: str) -> None:
    # The shape is what holds (yes's threshold may already leave these unread).
    assert conditional_both_ways(clauses(text))
    assert decide(text, OFFER).intent == UNKNOWN


@pytest.mark.parametrize(
    ("text", "both"),
    [
        ("se for cedo eu quero, senão não", True),
        ("e se não der eu aviso, se der eu vou", True),
        ("se Deus quiser eu vou", False),
        ("não se preocupe, se precisar eu ligo", False),  # one branch: "se" inside a clause
    ],
)
def test_branches_of_a_condition(text: str, both: bool) -> None:
    assert conditional_both_ways(clauses(text)) is both


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("esquece essa consulta", "yes"),
        ("pode esquecer o horário", "yes"),
        ("pode deixar desmarcada", "yes"),
        ("esquece o cancelamento, vou sim", "no"),
        ("esquece o que eu disse", "no"),
        ("deixa marcado", "no"),
        ("deixa quieto, eu vou", "no"),
    ],
)
def test_leaving_or_forgetting_reads_by_what_is_left_or_forgotten(text: str, intent: str) -> None:
    assert decide(text, CANCEL_QUESTION).intent == intent


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ("deixa desmarcado", "desmarca desmarcado"),
        ("pode deixar a consulta cancelada", "pode cancela a consulta cancelada"),
        ("esquece esa consulta", "tira esa consulta"),  # as folded: letters squeezed
        ("esquece o cancelamento", "esquece o cancelamento"),
        ("deixa quieto", "deixa quieto"),
    ],
)
def test_turns_of_phrase_said_plainly(words: str, said: str) -> None:
    assert " ".join(plainer(words.split())) == said
