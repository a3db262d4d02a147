"""Acknowledgements and farewells after the reminder (bot.core.reply_acks).

"brigado, até" and "Bjs, fica com Deus" were read as confirm: the model learnt "até" and
"fica com Deus" from farewells that name the day ("até quarta", "fica com Deus, até lá").
The words decide: a farewell that names when the two meet answers, one that only takes
leave does not. The examples are written for this test, not taken from the development sets.
"""

from __future__ import annotations

import pytest

from bot.core.intents import UNKNOWN
from bot.core.reply_acks import only_acknowledges
from bot.core.wording import clauses
from tests.core.test_intents import decide


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(t for c in clauses(text) for t in c.tokens)


@pytest.mark.parametrize(
    "text", ["brigado, até", "Bjs, fica com Deus", "valeu, até", "vlw, até", "Obrigada, até"]
)
def test_a_farewell_without_a_day_is_asked_again(text: str) -> None:
    # The shape, not the model's margin, is what holds: with more examples the model may
    # already fall under confirm's threshold on some of these (the ninth round's data did).
    assert only_acknowledges(_tokens(text))
    assert decide(text).intent == UNKNOWN


@pytest.mark.parametrize(
    "text",
    [
        "tá bom, recebi aqui, obrigado viu",
        "então tá, recebi aqui o lembrete, brigada",
        "ciente, abraços",
        "obgd, até mais",
        "Tchau, fiquem com Deus",
    ],
)
def test_receipt_thanks_and_leave_taking_only_acknowledge(text: str) -> None:
    assert only_acknowledges(_tokens(text))
    assert decide(text).intent == UNKNOWN


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Até sexta, beijos", "confirm"),  # the farewell names the day: the writer comes
        ("tchau, até amanhã", "confirm"),
        ("Beijo, até lá", "confirm"),
        ("Tá bom, obrigada", "confirm"),  # thanks around "tá bom": not an acknowledgement
        ("desmarca, obrigada, tchau", "cancel"),  # leave taken after an answer
    ],
)
def test_a_farewell_that_names_the_meeting_or_follows_an_answer_stands(
    text: str, intent: str
) -> None:
    assert not only_acknowledges(_tokens(text))
    assert decide(text).intent == intent
