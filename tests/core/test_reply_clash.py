"""A "sim" up front that the rest of the message reads against (bot.core.reply_clash).

To "Você quer mesmo desmarcar?", a reply that opens with "sim" and goes on to keep the
appointment was read as keep (the writer's "sim" lost) or, with a reason full of negations
after the "sim", as keep too: a coin toss between cancelling and keeping, read as one of them.
The examples are written for this test, not taken from the development sets.
"""

from __future__ import annotations

import pytest

from bot.core.intents import UNKNOWN
from bot.core.reply_clash import answers_clash, ends_in_doubt
from bot.core.reply_model import ReplyModel
from bot.core.wording import clauses
from tests.core.test_intents import decide, flow

CANCEL_QUESTION = "confirm_cancel"


def _model() -> ReplyModel:
    f = flow("confirmation")
    model = f.understanding.model_for(f.accepted[CANCEL_QUESTION], CANCEL_QUESTION)
    assert model is not None
    return model


@pytest.mark.parametrize("text", ["Sim, prefiro manter", "sim, continua marcado"])
def test_a_yes_then_words_that_keep_is_asked_again(text: str) -> None:
    decision = decide(text, CANCEL_QUESTION)
    assert decision.intent == UNKNOWN, decision.reason
    assert decision.rule == "shape"
    assert answers_clash(_model(), clauses(text))


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("sim, pode desmarcar", "yes"),  # the rest agrees with the "sim"
        ("Sim, não vou precisar mais", "yes"),  # negations that agree: read whole
        ("Sim, não tenho como ir", "yes"),
        ("Sim, mas queria outro dia", "reschedule"),  # the "but" side decides
        ("Não, quero manter", "no"),  # a "não" up front agrees with keeping
    ],
)
def test_an_opening_answer_the_rest_agrees_with_stands(text: str, intent: str) -> None:
    assert decide(text, CANCEL_QUESTION).intent == intent
    assert not answers_clash(_model(), clauses(text))


@pytest.mark.parametrize(
    "text", ["sim\ndesculpa, li errado, mantém", "sim\nah não, deixa marcado", "sim\nops, mantém"]
)
def test_a_change_of_mind_after_the_yes_is_not_a_clash(text: str) -> None:
    # the turn is the model's to read (it may keep, or ask again), never a clash
    assert not answers_clash(_model(), clauses(text))
    assert decide(text, CANCEL_QUESTION).intent != "yes"


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("vou sim... sei lá", "awaiting_reply"),
        ("confirmo... sei lá, vê aí", "awaiting_reply"),
        ("quero sim, sei lá, vê aí", "cancelled"),
        ("não precisa... sei lá", "cancelled"),
    ],
)
def test_an_answer_then_doubt_said_on_its_own_is_asked_again(text: str, state: str) -> None:
    assert ends_in_doubt(_model(), clauses(text))
    decision = decide(text, state)
    assert (decision.intent, decision.rule) == (UNKNOWN, "shape"), decision.reason


@pytest.mark.parametrize(
    ("text", "state", "intent"),
    [
        ("mantém. Sei lá. Pode desmarcar", CANCEL_QUESTION, "yes"),  # the doubt is settled
        ("pode cancelar, não sei quando vou poder voltar", "awaiting_reply", "cancel"),
    ],
)
def test_doubt_settled_after_it_or_with_more_to_say_is_no_shape(
    text: str, state: str, intent: str
) -> None:
    assert decide(text, state).intent == intent
