"""Phone numbers as the webhook reads them: E.164 out, a clear error for what is not one."""

from __future__ import annotations

import pytest

from bot.core.errors import ValidationError
from bot.core.phones import normalize, sender_identity, variants


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("whatsapp:+5511987654321", "+5511987654321"),
        ("5511987654321", "+5511987654321"),  # a WaId
        ("551187654321", "+551187654321"),  # an 8-digit WaId of a mobile: kept as given
        ("(11) 98765-4321", "+5511987654321"),
        ("+14155552671", "+14155552671"),
    ],
)
def test_numbers_are_e164_every_time(raw: str, e164: str) -> None:
    assert normalize(raw) == e164
    assert normalize(raw) == e164  # the second time from the cache: the same answer


@pytest.mark.parametrize("raw", ["whatsapp:+5511", "não é número", "+551100000000"])
def test_a_bad_number_is_refused_every_time(raw: str) -> None:
    for _ in range(2):  # a refusal is not cached as an answer
        with pytest.raises(ValidationError):
            normalize(raw)


def test_the_sender_is_the_waid_when_there_is_one() -> None:
    assert sender_identity("whatsapp:+551187654321", "5511987654321") == ("+5511987654321", None)
    assert sender_identity("whatsapp:BR.1501abc") == ("", "whatsapp:BR.1501abc")
    assert variants("+5511987654321") == ("+5511987654321", "+551187654321")
