"""A "sim" up front that the rest of the message reads against (bot.core.reply_clash).

To "Você quer mesmo desmarcar?", a reply that opens with "sim" and goes on to keep the
appointment was read as keep (the writer's "sim" lost) or, with a reason full of negations
after the "sim", as keep too: a coin toss between cancelling and keeping, read as one of them.
The examples are written for this test, not taken from the development sets.
"""

from __future__ import annotations

import pytest

from bot.core.intents import UNKNOWN
from bot.core.reply_clash import answers_clash
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
