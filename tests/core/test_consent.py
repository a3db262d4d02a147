"""Opting out and back in with no conversation running: which words act, what is answered."""

from __future__ import annotations

import pytest

from bot.core.consent import ConsentChange, ConsentWords, consent_change
from bot.core.outbox import OPT_OUT_KIND

WORDS = ConsentWords(
    opt_out_words=frozenset({"sair", "parar"}),
    opt_out_message="Pronto.",
    opt_in_words=frozenset({"voltar"}),
    opt_in_message="De volta.",
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("SAIR", ConsentChange(True, "opt_out:SM1", OPT_OUT_KIND, "Pronto.")),
        (" parar! ", ConsentChange(True, "opt_out:SM1", OPT_OUT_KIND, "Pronto.")),
        ("Voltar.", ConsentChange(False, "opt_in:SM1", "reply", "De volta.")),
        ("quero sair", None),  # only the word itself acts; the rest is for staff
        ("oi", None),
        ("", None),
    ],
)
def test_consent_change(body: str, expected: ConsentChange | None) -> None:
    assert consent_change(body, "SM1", WORDS) == expected


def test_opting_out_wins_when_a_word_is_in_both_lists() -> None:
    both = ConsentWords(opt_out_words=frozenset({"x"}), opt_in_words=frozenset({"x"}))
    change = consent_change("x", "SM1", both)
    assert change is not None
    assert change.opting_out
