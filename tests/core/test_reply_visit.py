"""A question about the visit after "mas" (bot.core.reply_visit): the answer before it stands;
a question after "mas" that checks or changes the appointment, or follows a bare "ok", is
asked again. An aside opened with "aproveitando" is another errand, not a condition."""

from __future__ import annotations

import pytest

from bot.core.reply_visit import bare_acknowledgement, opens_aside, visit_question
from bot.core.wording import phrase_tokens
from tests.core.test_intents import decide


@pytest.mark.parametrize(
    ("text", "state", "intent"),
    [
        ("eu vou sim, mas onde que estaciona o carro?", "awaiting_reply", "confirm"),
        ("confirmado, mas tenho que levar o pedido médico?", "awaiting_reply", "confirm"),
        ("estarei lá\nmas posso levar minha acompanhante junto?", "awaiting_reply", "confirm"),
        ("vou sim (mas quanto tempo antes tenho que chegar?)", "awaiting_reply", "confirm"),
        ("vou sim, mas eu queria saber se preciso ir de jejum", "awaiting_reply", "confirm"),
        ("não vou, mas vocês devolvem o valor pago?", "awaiting_reply", "cancel"),
        ("não, mas queria saber como faço pra chegar de ônibus", "confirm_cancel", "no"),
    ],
)
def test_a_question_about_the_visit_after_mas_keeps_the_answer(
    text: str, state: str, intent: str
) -> None:
    decision = decide(text, state)
    assert (decision.intent, decision.rule) == (intent, "model"), decision.reason


@pytest.mark.parametrize(
    "text",
    [
        "vou sim, mas é com a doutora Ana mesmo?",  # checks the appointment
        "sim, mas qual consulta que é?",  # which appointment
        "ok, mas onde fica o prédio novo?",  # "ok": heard, then asked
        "blz, mas qual andar agora?",
    ],
)
def test_a_question_after_mas_that_checks_or_changes_it_is_asked_again(text: str) -> None:
    assert decide(text).intent == "unknown"


@pytest.mark.parametrize(
    ("text", "state", "intent"),
    [
        ("Vou sim. Aproveitando, vocês aceitam cartão? Se não aceitarem pago em pix", "awaiting_reply", "confirm"),
        ("Confirmo. Aproveito para avisar que troquei de celular, depois passo o número novo.", "awaiting_reply", "confirm"),
        ("Bom dia, não vou. Aproveitando, o resultado do exame já saiu? Fiz semana passada", "awaiting_reply", "cancel"),
    ],
)  # fmt: skip
def test_an_aside_opened_after_the_answer_is_another_errand(
    text: str, state: str, intent: str
) -> None:
    decision = decide(text, state)
    assert (decision.intent, decision.rule) == (intent, "model"), decision.reason


@pytest.mark.parametrize(
    "text",
    [
        "Vou sim. Aproveitando, desmarca a de sexta",
        "Vou sim. Aproveitando, a do meu filho pode cancelar",
    ],
)
def test_an_aside_that_answers_otherwise_is_not_cut_off(text: str) -> None:
    assert decide(text).intent != "confirm"


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("onde fica", True),
        ("que horas abre", True),
        ("posso levar meu filho", True),
        ("qual consulta", False),
        ("que medico", False),
        ("e com a dra ana mesmo", False),
        ("chego 15h pode ser", False),
        ("vcs atendem sabado", False),
    ],
)
def test_visit_question(words: str, expected: bool) -> None:
    assert visit_question(phrase_tokens(words)) is expected


def test_acknowledgements_and_asides() -> None:
    assert bare_acknowledgement(phrase_tokens("ok 👍🏽"))
    assert not bare_acknowledgement(phrase_tokens("ok vou"))
    assert opens_aside(phrase_tokens("já aproveito pra perguntar"))
    assert not opens_aside(phrase_tokens("vou aproveitar e ir"))
