"""Cues of the seventh round: a "não" on its own that takes an answer back, doubt said as "não
dá pra dizer", appointments told apart by their day or order."""

from __future__ import annotations

import pytest

from bot.core.menu_words import menu_number
from bot.core.reply_features import features, tokens_of
from bot.core.reply_structure import names_in
from bot.core.wording import clauses
from tests.core.test_intents import decide
from tests.core.test_reply_corrections import kept_after_correction


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("DESMARCA\nnão, vou sim", "vou sim"),  # a "não" alone after an answer
        ("mantém\nnão não, pode cancelar", "pode cancelar"),
        ("Remarca... não, sabe de uma coisa? Pode cancelar", "sabe de uma coisa pode cancelar"),
        ("Vou. Aliás não, desmarca", "desmarca"),  # the "não" after "aliás" takes back with it
        ("Quero manter. Pera, não, pode tirar", "pode tirar"),
        ("Mantém. Aliás não cancela", "nao cancela"),  # a "não" that goes on to a verb answers
    ],
)  # fmt: skip
def test_a_nao_on_its_own_after_an_answer_takes_it_back(text: str, kept: str) -> None:
    assert kept_after_correction(text) == kept


@pytest.mark.parametrize(
    "text",
    [
        "Não, não vou",  # nothing said before the "não"
        "nao nao, vou sim, foi mal",  # a "não" repeated is not said before itself
        "Bom dia! Não, vou não",  # a greeting says nothing
        "vou sim, não",  # nothing after it
        "não",
    ],
)
def test_a_nao_that_answers_is_no_correction(text: str) -> None:
    assert kept_after_correction(text) is None


@pytest.mark.parametrize(
    ("text", "state", "intent"),
    [
        ("CONFIRMO\nnão, desmarca, tenho prova", "awaiting_reply", "cancel"),
        ("Mantenha. Aliás não, pode desmarcar, lembrei da viagem", "confirm_cancel", "yes"),
    ],
)
def test_the_answer_after_a_nao_on_its_own_decides(text: str, state: str, intent: str) -> None:
    assert decide(text, state).intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "não dá pra dizer ainda",
        "não posso garantir nada por enquanto",
        "pode ser que eu vá",
    ],
)
def test_saying_one_cannot_say_is_doubt(text: str) -> None:
    assert {"d:last", "d:any"} & set(features(text)[0])


@pytest.mark.parametrize("text", ["só pra dizer que vou sim", "pode ser", "vou sim"])
def test_saying_an_answer_is_no_doubt(text: str) -> None:
    assert not {"d:last", "d:any"} & set(features(text)[0])


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("a de terça mantém, a de quinta pode cancelar", "confirm_cancel"),  # told by the day
        ("vou só na primeira", "awaiting_reply"),  # one of several, by its order
        ("tenho duas marcadas, desmarca só a de sexta", "awaiting_reply"),
    ],
)
def test_appointments_told_apart_by_day_or_order_go_to_a_person(text: str, state: str) -> None:
    decision = decide(text, state)
    assert decision.rule == "two_people", decision.reason


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("cancela essa de quinta", "confirm_cancel"),  # one appointment, one answer
        ("vou só na segunda semana do mês que vem", "awaiting_reply"),  # a weekday, not an order
        ("pode cancelar a de terça e a de quinta", "confirm_cancel"),  # the same answer
    ],
)
def test_an_appointment_named_by_its_day_with_one_answer_is_read(text: str, state: str) -> None:
    assert decide(text, state).rule == "model"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("a Ana vai, o Bruno não", {"ana", "bruno"}),
        ("CANCELA, a Ana vai", {"ana"}),  # all in capitals: shouted, not a name
        ("a enchente levou tudo", set()),  # no capital, no name
    ],
)
def test_names_are_the_words_written_with_a_capital(text: str, names: set[str]) -> None:
    assert names_in(text) == names


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("a Júlia vai, o Pedro tá gripado e não vai", "awaiting_reply"),
        ("o Caio mantém, a Bia pode cancelar", "confirm_cancel"),
    ],
)
def test_two_people_named_by_their_names_go_to_a_person(text: str, state: str) -> None:
    decision = decide(text, state)
    assert decision.rule == "two_people", decision.reason


@pytest.mark.parametrize(
    "text",
    [
        "a Júlia vai sim, pode confirmar",  # one person, one answer
        "A Dra Paula atende de tarde? Vou sim",  # a title, not someone who answers
    ],
)
def test_one_named_person_or_a_title_is_read(text: str) -> None:
    assert decide(text).rule == "model"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1 1 apertei o 2 sem querer", "1"),  # the number owned as the slip is taken back
        ("é 3, desculpa o 1 de antes", "3"),
        ("apertei o 1 sem querer, é 2", "2"),  # the slip, then the answer
        ("opção 2. Retifico: opção 1", "1"),
        ("1 corrijo 3", "3"),
        ("1 2", None),  # two numbers, no correction
    ],
)
def test_a_number_owned_as_a_slip_is_taken_back(text: str, number: str | None) -> None:
    assert menu_number(tokens_of(clauses(text))) == number


def test_a_corrected_number_is_the_option_in_the_yes_no_question() -> None:
    decision = decide("1 1 1 cliquei o 2 sem querer", "confirm_cancel")
    assert (decision.rule, decision.intent) == ("menu", "yes")
