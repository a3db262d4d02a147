"""A writer who takes an answer back: the last decision is what the model weighs most."""

from __future__ import annotations

import pytest

from bot.core.menu_words import menu_number
from bot.core.reply_features import correction_point, features
from bot.core.wording import clauses
from tests.core.test_intents import decide, flow


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("quero manter. Não, espera, errei, é pra desmarcar", "e pra desmarcar"),  # the last correction word is "errei"
        ("2... não, pera, 1", "1"),
        ("2 não, desculpa, é 1", "e 1"),
        ("Não\nops, quis dizer sim", "sim"),  # the last correction
        ("Vou sim\nEspera, quarta eu trabalho. Desmarca então", "quarta eu trabalho desmarca entao"),
        ("Quero remarcar. Não, quer saber, cancela e pronto", "cancela e pronto"),
    ],
)  # fmt: skip
def test_the_last_correction_starts_what_is_kept(text: str, kept: str) -> None:
    assert kept_after_correction(text) == kept


def kept_after_correction(text: str) -> str | None:
    """The words from the last correction on, as folded, or None when nothing corrects."""
    parts = clauses(text)
    point = correction_point(parts)
    if point is None:
        return None
    clause, token = point
    tail = [*parts[clause].tokens[token:], *(t for c in parts[clause + 1 :] for t in c.tokens)]
    return " ".join(tail)


@pytest.mark.parametrize(
    "text",
    [
        "pera",  # nothing said before it to take back
        "ops, mensagem errada",
        "Espera, desmarcou? Eu queria manter!",  # a question, not a correction of an answer
        "vou sim, a fila de espera foi enorme da outra vez",  # the noun
        "não vou poder ir, desculpa o transtorno",  # an apology
        "Desmarca então, desculpa",
        "vou sim, opa",  # nothing after it
    ],
)
def test_no_correction(text: str) -> None:
    assert correction_point(clauses(text)) is None


def test_words_taken_back_go_to_blocks_of_their_own() -> None:
    found = features("quero manter. Não, espera, é pra desmarcar")
    words, _, taken, taken_letters = found
    assert {"w:desmarcar", "k:any"} <= set(words)
    assert "w:manter" not in words
    assert "w:manter" in taken
    assert "c:man" in taken_letters
    assert features("quero manter")[2:] == ((), ())


@pytest.mark.parametrize(
    ("tokens", "number"),
    [
        (("2", "nao", "pera", "1"), "1"),
        (("2", "nao", "desculpa", "e", "1"), "1"),
        (("1", "nao", "digo", "2"), "2"),
        (("1", "nao", "espera", "2"), "2"),
        (("2", "nao"), None),  # "não" takes back no number: the model reads it
        (("nao", "1"), None),
    ],
)
def test_a_menu_number_taken_back_with_a_nao(tokens: tuple[str, ...], number: str | None) -> None:
    assert menu_number(tokens) == number


@pytest.mark.parametrize(
    ("text", "state", "intent"),
    [
        ("2... não, pera, 1", "confirm_cancel", "yes"),
        ("1 não, digo, 2", "cancelled", "no"),
        ("2\nops, 1", "awaiting_reply", "confirm"),
    ],
)
def test_menu_numbers_corrected_in_every_state(text: str, state: str, intent: str) -> None:
    decision = decide(text, state)
    assert (decision.intent, decision.rule) == (intent, "menu"), decision.reason


def test_doubt_said_outright_is_a_cue() -> None:
    # "ia desmarcar mas agora não sei mais": the writer is undecided now, whatever the plan was.
    assert "d:last" in features("ia desmarcar mas agora não sei mais")[0]
    assert "d:any" in features("não sei se consigo, mas vou")[0]
    assert not {"d:last", "d:any"} & set(features("vou sim")[0])


def test_a_plan_followed_by_doubt_is_not_read_as_the_plan() -> None:
    decision = decide("eu ia cancelar, mas agora já não sei mais")
    assert decision.intent == "unknown", decision.reason


@pytest.mark.parametrize(
    "text",
    [
        "sou a neta, minha avó não pode na quinta, tem outro dia?",
        "aqui é o marido dela, ela não vai conseguir ir",
        "minha mãe quer remarcar, pode ligar pra mim que sou o filho dela",
    ],
)
def test_a_writer_introducing_themselves_is_not_a_second_person(text: str) -> None:
    # "Sou a filha": who writes for the patient, not another answer.
    assert decide(text).rule == "model", decide(text).reason


def test_a_question_beside_an_answer_is_a_cue() -> None:
    assert {"q:?", "q:beside"} <= set(features("vou sim. precisa de jejum?")[0])
    assert "q:beside" not in features("precisa de jejum?")[0]


def test_a_word_one_typo_from_a_known_word_is_read_as_it() -> None:
    f = flow("confirmation")
    model = f.understanding.model_for(f.accepted["confirm_cancel"], "confirm_cancel")
    assert model is not None
    spelled = model.spelled(clauses("quero mamter, desmarcaa não"))
    assert [c.tokens for c in spelled] == [("quero", "manter"), ("desmarca", "nao")]
    same = clauses("quero manter")
    assert model.spelled(same) is same  # nothing to fix: the clauses themselves


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("eu vou, mas o guri não", "awaiting_reply"),
        ("pode desmarcar a minha, mas a da minha filha não", "confirm_cancel"),
    ],
)
def test_a_short_nao_for_someone_else_is_a_second_answer(text: str, state: str) -> None:
    assert decide(text, state).rule == "two_people", decide(text, state).reason


@pytest.mark.parametrize(
    "text",
    [
        "Sou eu e meu irmão que temos consulta, eu vou, ele desmarca",  # "sou eu e…": two
        "Eu vou sim. Meu pai, que também tem consulta às 15h, não vai",  # the topic answers
    ],
)
def test_two_people_named_apart_from_their_answers_go_to_a_person(text: str) -> None:
    assert decide(text, "awaiting_reply").rule == "two_people"


@pytest.mark.parametrize(
    "text",
    [
        "eu não ia, mas minha filha insistiu, então vou sim",  # the writer changes their mind
        "Meu marido e eu vamos viajar, não vamos nenhum dos dois, pode cancelar",
    ],
)
def test_a_relative_beside_the_writers_own_answer_is_not_a_topic(text: str) -> None:
    assert decide(text, "awaiting_reply").rule == "model"


def test_the_same_answer_for_two_people_is_read() -> None:
    decision = decide("eu vou e minha filha também")
    assert decision.rule == "model", decision.reason


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("eu 1 ele 3", "awaiting_reply"),
        ("a minha 1, a do meu marido 2", "awaiting_reply"),
        ("eu 2 e ela 1", "confirm_cancel"),
    ],
)
def test_a_menu_number_for_each_of_two_people_goes_to_a_person(text: str, state: str) -> None:
    assert decide(text, state).rule == "two_people", decide(text, state).reason


@pytest.mark.parametrize("text", ["2... não, pera, 1", "digitei 2 errado, era o 1"])
def test_a_slip_between_two_numbers_names_nobody_and_is_read(text: str) -> None:
    assert decide(text, "awaiting_reply").intent == "confirm"


def test_numbers_that_count_something_are_not_two_choices() -> None:
    decision = decide("meu filho tem 5 anos e ele vai sim, chegamos uns 2 minutinhos antes")
    assert decision.rule != "two_people", decision.reason
