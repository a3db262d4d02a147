"""Opting out and back in outside a conversation: which words act, and what is answered.

Inside a conversation the flow decides (its ``opt_out`` action); with none
running, only these words act and the rest is left for staff. Pure: the
conversation service writes the suppression and the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.intents import fold
from bot.core.outbox import OPT_OUT_KIND

__all__ = ["ConsentChange", "ConsentWords", "consent_change"]


@dataclass(frozen=True, slots=True)
class ConsentWords:
    """The configured words and answers (``conversations`` in config.yaml)."""

    opt_out_words: frozenset[str] = frozenset({"sair", "parar"})
    opt_out_message: str = "Pronto, você não vai mais receber nossas mensagens por aqui."
    opt_in_words: frozenset[str] = frozenset({"voltar"})
    opt_in_message: str = "Você voltará a receber nossos lembretes."


@dataclass(frozen=True, slots=True)
class ConsentChange:
    """Suppress the number (``opting_out``) or lift it, and answer with ``text``."""

    opting_out: bool
    key: str  # the answer's outbox key: one answer per message, however often it is replayed
    kind: str  # the opt-out's confirmation is the one message sent past the suppression
    text: str


def consent_change(body: str, sid: str, words: ConsentWords) -> ConsentChange | None:
    """What a message's text asks for, when no conversation is running (None: nothing)."""
    word = fold(body).strip(" .!")
    if word in words.opt_out_words:
        return ConsentChange(True, f"opt_out:{sid}", OPT_OUT_KIND, words.opt_out_message)
    if word in words.opt_in_words:
        return ConsentChange(False, f"opt_in:{sid}", "reply", words.opt_in_message)
    return None
