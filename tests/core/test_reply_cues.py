"""Cues of the sixth round: negation parity, corrections that name the right option, the
doubt between opposite answers, appointments named by their owner."""

from __future__ import annotations

import pytest

from bot.core.intents import _judge
from bot.core.reply_features import correction_point, features, negation_marks
from bot.core.reply_model import Reading
from bot.core.wording import clauses
from tests.core.test_intents import decide, flow
from tests.core.test_reply_corrections import kept_after_correction


def _marks(text: str) -> str:
    tokens = clauses(text)[0].tokens
    return " ".join(f"{t}/{m}" for t, m in zip(tokens, negation_marks(tokens), strict=True))


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("não tem como eu não ir", "nao/w tem/n como/n eu/n nao/w ir/nn"),
        ("não tem como eu ir", "nao/w tem/n como/n eu/n ir/w"),
        ("sem chance de eu não ir", "sem/w chance/w de/w eu/w nao/w ir/nn"),
        ("sem problema eu vou", "sem/w problema/w eu/w vou/w"),  # "sem" alone negates nothing
        ("não vou deixar de ir", "nao/w vou/n deixar/n de/nn ir/nn"),
        ("não precisa deixar marcado", "nao/w precisa/n deixar/n marcado/n"),  # no "de"
        ("não dá pra não remarcar", "nao/w da/n pra/n nao/w remarcar/nn"),
        # the second "não" five words after the first ("não há hipótese de eu não ir")
        ("não há hipótese de eu não comparecer", "nao/w ha/n hipotese/n de/n eu/w nao/w comparecer/nn"),
        # Negative concord and a closing "não": one negation, however many words say it.
        ("não vou nem poder ir", "nao/w vou/n nem/w poder/n ir/n"),
        ("não é pra cancelar não tá", "nao/w e/n pra/n cancelar/n nao/w ta/n"),
        ("não moça não desmarca", "nao/w moca/n nao/w desmarca/n"),
    ],
)  # fmt: skip
def test_negation_parity(text: str, marked: str) -> None:
    assert _marks(text) == marked


def test_a_word_negated_twice_is_itself_again_and_marked() -> None:
    words, letters, _, _ = features("não tem como eu não ir")
    assert {"w:ir", "nn:ir"} <= set(words)
    assert "n:ir" not in words
    assert "nnc: ir " in letters
    once = features("não tem como eu ir")[0]
    assert not any(w.startswith("nn:") for w in once)


@pytest.mark.parametrize(
    ("text", "state", "wrong"),
    [
        # Each read as its opposite before negation parity (confirm <-> cancel, yes <-> no).
        ("nao tem como eu nao ir amanha", "awaiting_reply", "cancel"),
        ("não posso não ir, é meu retorno", "awaiting_reply", "cancel"),
        ("não dá pra eu não ir", "confirm_cancel", "yes"),
        ("não consigo não ir, preciso muito", "confirm_cancel", "yes"),
        ("Não tem como eu não desmarcar, vou viajar", "confirm_cancel", "no"),
    ],
)
def test_a_double_negation_is_not_read_as_its_opposite(text: str, state: str, wrong: str) -> None:
    decision = decide(text, state)
    assert decision.intent != wrong, decision.reason


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Errei o número, o certo é 2", "e 2"),
        ("Falei 2 sem querer, o certo é 1", "e 1"),
        ("digitei 1 errado, era o 3", "era o 3"),
        ("não, desculpa, escrevi errado, é pra desmarcar", "e pra desmarcar"),
        ("Quero sim\nnão, erro meu, não quero", "nao quero"),
        ("respondi sim por engano, é pra cancelar", "e pra cancelar"),
        ("apertei confirmar sem querer, na vdd preciso desmarcar", "preciso desmarcar"),
    ],
)
def test_a_slip_owned_or_the_right_answer_named_is_a_correction(text: str, kept: str) -> None:
    assert kept_after_correction(text) == kept


@pytest.mark.parametrize(
    "text",
    [
        # A slip that explains an earlier message, after the answer: nothing is taken back.
        "não, por favor não cancela, eu cliquei no botão errado, o celular é novo",
        "é não, foi sem querer kkkk",
        "desculpa, número errado, não conheço essa pessoa",  # a wrong person, not a slip
    ],
)
def test_a_slip_explained_after_the_answer_takes_nothing_back(text: str) -> None:
    assert correction_point(clauses(text)) is None


@pytest.mark.parametrize(
    ("text", "state", "intent"),
    [
        ("Errei o número, o certo é 2", "awaiting_reply", "cancel"),
        ("mandei 1 sem querer, o certo é a opção dois", "awaiting_reply", "cancel"),
        ("digitei 1 errado, era o 3", "awaiting_reply", "reschedule"),
        ("ops errei, o certo é 2️⃣", "awaiting_reply", "cancel"),
        ("Falei 2 sem querer, o certo é 1", "confirm_cancel", "yes"),
        ("cliquei no 2 sem querer, é o 1", "cancelled", "yes"),
    ],
)
def test_a_correction_that_ends_with_a_menu_number_is_that_option(
    text: str, state: str, intent: str
) -> None:
    decision = decide(text, state)
    assert (decision.intent, decision.rule) == (intent, "menu"), decision.reason


def test_a_corrected_number_counts_only_while_the_menu_is_pending() -> None:
    assert decide("Errei o número, o certo é 2", "awaiting_reply", menu={}).rule != "menu"
    assert decide("errei, o certo é 2?", "awaiting_reply").rule != "menu"  # a question


def test_an_answer_is_asked_again_only_when_its_opposite_stays_likely() -> None:
    # OPPOSITE_DOUBT = 0.3 (0.25 before): a confirm whose cancel stays at 28 % is read.
    understanding = flow("confirmation").understanding
    close = Reading((("confirm", 0.71), ("cancel", 0.28), ("unknown", 0.01)))
    assert _judge(understanding, close).intent == "confirm"
    torn = Reading((("confirm", 0.69), ("cancel", 0.31)))
    assert _judge(understanding, torn).intent == "unknown"


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("Desmarca a minha e deixa a do Pedro marcada", "confirm_cancel"),
        ("A consulta da manhã pode tirar e a da tarde mantém", "confirm_cancel"),  # two times
        ("a consulta do Rafael pode remarcar, a da Bia não", "cancelled"),
    ],
)
def test_appointments_named_by_owner_or_time_with_two_answers_go_to_a_person(
    text: str, state: str
) -> None:
    decision = decide(text, state)
    assert decision.rule == "two_people", decision.reason


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("confirmo a consulta da tarde", "awaiting_reply"),
        ("pode cancelar a da manhã e a da tarde", "confirm_cancel"),  # the same answer
        ("vou sim, a consulta da doutora é às 15h, né?", "awaiting_reply"),
    ],
)
def test_an_appointment_named_with_one_answer_is_read(text: str, state: str) -> None:
    assert decide(text, state).rule == "model"
