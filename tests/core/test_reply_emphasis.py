"""Emphatic double negatives (bot.core.reply_emphasis): "impossível eu não ir" comes; a single
negation ("não tem como eu ir") and a question stay the model's to read."""

from __future__ import annotations

import pytest

from bot.core.reply_emphasis import plain_emphasis
from bot.core.wording import clauses
from tests.core.test_intents import decide


@pytest.mark.parametrize(
    "text",
    [
        "impossivel eu nao ir, to esperando essa consulta faz tempo",
        "nao posso nao ir, ja paguei a guia",
        "claro que vou, nem tem como nao ir kkk",
        "Não dá pra não ir, o joelho tá doendo demais",
        "nao existe chance de eu nao comparecer",
    ],
)
def test_an_emphatic_double_negative_comes(text: str) -> None:
    assert decide(text).intent == "confirm", decide(text).reason


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("impossível eu não ir né", "vou sim ne"),
        ("não tem como eu não estar lá", "vou sim la"),
        ("olha, nem dá pra não ir", "olha|vou sim"),
    ],
)
def test_the_double_negative_said_plainly(text: str, plain: str) -> None:
    found = plain_emphasis(clauses(text))
    assert found is not None
    assert "|".join(" ".join(c.tokens) for c in found) == plain


@pytest.mark.parametrize(
    "text",
    [
        "não tem como eu ir amanhã",  # one negation: absence
        "não posso faltar no serviço",  # about work
        "não vou não, pode cancelar",  # a repeated "não", not a double negative
        "não tem como não ir?",  # asked
        "não tem como minha filha não ir",  # someone else: the model and two people's rules
        "nao posso nao ir no meu serviço amanha",  # going somewhere else
    ],
)
def test_what_is_not_an_emphatic_double_negative(text: str) -> None:
    assert plain_emphasis(clauses(text)) is None


def test_what_follows_the_double_negative_is_still_read() -> None:
    assert decide("não dá pra não ir, mas eu vou ter que desmarcar essa").intent != "confirm"
