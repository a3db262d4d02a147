"""A protest that nothing was asked, to "quer mesmo desmarcar?" (bot.core.reply_protest).

"eu nunca pedi pra desmarcar" and "Senhores, não solicitei o cancelamento da consulta." were
read as keep: the "não" of the protest, not a decision. A bare protest is asked again (a
person clears it up); a protest with a decision beside it is that decision. The examples
are written for this test, not taken from the development sets.
"""

from __future__ import annotations

import pytest

from bot.core.intents import UNKNOWN
from tests.core.test_intents import decide

CANCEL_QUESTION = "confirm_cancel"


@pytest.mark.parametrize(
    "text",
    [
        "eu nunca pedi pra desmarcar",
        "Senhores, não solicitei o cancelamento da consulta.",
        "Não solicitei cancelamento, o que é isso?",  # the protest beside a question
    ],
)
def test_a_bare_protest_is_asked_again(text: str) -> None:
    decision = decide(text, CANCEL_QUESTION)
    # Asked again: by the protest shape, or by the model itself when no answer clears its
    # threshold (since the tenth round's examples, "Senhores, não solicitei..." reads no
    # 0.53, under no's 0.6, before the shape is needed).
    assert decision.intent == UNKNOWN, decision.reason
    assert decision.rule in ("shape", "model"), decision.reason


@pytest.mark.parametrize(
    "text",
    [
        "não pedi pra cancelar, eu vou sim",
        "Não solicitei cancelamento. Mantenham a consulta",
        "eu não pedi isso, quero manter",
    ],
)
def test_a_protest_with_a_decision_beside_it_is_that_decision(text: str) -> None:
    assert decide(text, CANCEL_QUESTION).intent == "no"


def test_asking_for_it_is_no_protest() -> None:
    assert decide("pedi pra desmarcar sim, pode cancelar", CANCEL_QUESTION).intent == "yes"
