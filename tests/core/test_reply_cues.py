"""Cues of the sixth round: corrections that name the right option."""

from __future__ import annotations

import pytest

from bot.core.reply_features import correction_point
from bot.core.wording import clauses
from tests.core.test_intents import decide


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
    parts = clauses(text)
    point = correction_point(parts)
    assert point is not None
    clause, token = point
    tail = [*parts[clause].tokens[token:], *(t for c in parts[clause + 1 :] for t in c.tokens)]
    assert " ".join(tail) == kept


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
