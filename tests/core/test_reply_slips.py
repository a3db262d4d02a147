"""Words after a corrected menu number: a slip explained, or doubt (reply_shapes.slip_explained).

Before, the words after the number were taken for doubt whenever the model read them surely
as unknown: "meu neto que mexeu" answers nothing, surely, and so the corrected "1" was
refused and the whole read unknown. Doubt is now told by what is said ("sei lá", "tô em
dúvida"), and a slip explanation may read as surely unknown as the model likes. The
examples are written for this test, not taken from the development sets.
"""

from __future__ import annotations

import pytest

from bot.core.intents import UNKNOWN
from bot.core.reply_shapes import slip_explained
from bot.core.wording import Clause, clauses
from tests.core.test_intents import decide, flow

REMINDER = "awaiting_reply"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("2 opa, 1, meu neto que mexeu", "confirm"),
        ("2 opa 1, o celular é novo", "confirm"),
        ("1 opa 2, o teclado é pequeno", "cancel"),
    ],
)
def test_a_slip_explained_in_words_that_answer_nothing_keeps_the_number(
    text: str, intent: str
) -> None:
    decision = decide(text)
    assert (decision.intent, decision.rule) == (intent, "menu"), decision.reason


@pytest.mark.parametrize(
    "text", ["2 ops 1, tô em dúvida ainda", "1 opa 2, ah sei lá", "2 opa 1, não sei ainda"]
)
def test_doubt_said_after_a_corrected_number_leaves_it_unread(text: str) -> None:
    assert decide(text).intent == UNKNOWN


def test_words_that_surely_answer_otherwise_are_no_slip() -> None:
    f = flow("confirmation")
    model = f.understanding.model_for(f.accepted[REMINDER], REMINDER)
    assert model is not None
    explained = [Clause(("meu", "neto", "que", "mexeu"), False)]
    assert slip_explained(model, explained, "confirm")
    assert not slip_explained(model, clauses("quero remarcar pra sexta"), "confirm")
    assert not slip_explained(model, clauses("sei lá"), "confirm")
