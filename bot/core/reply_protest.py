"""A protest that the writer never asked for a cancellation, and nothing else: not an answer.

To "Você quer mesmo desmarcar?" or after a cancellation, "Não pedi cancelamento, que
história é essa?", "Prezados, não solicitei cancelamento algum. Peço esclarecimento." or
"eu não pedi pra desmarcar" object to the question; they do not say whether to keep the
appointment. The model reads the "não" as keep. By the labelling convention a bare protest
is unknown (a person clears it up) and a protest with a decision beside it is that decision
("não pedi pra cancelar, eu vou sim": keep), so the decision, if any, is read without it.

A protest is a request verb in the past ("pedi", "solicitei") right after a negation ("não",
"nunca"): the writer says what they did not do, not what they want now.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.intent_names import UNKNOWN
from bot.core.reply_model import ReplyModel
from bot.core.wording import Clause

__all__ = ["only_protests"]

_NEGATION = frozenset({"nao", "nunca", "jamais", "nem"})
_REQUESTED = frozenset({"pedi", "solicitei", "pedimos", "solicitamos", "requisitei", "requeri"})
_BETWEEN = frozenset({"eu", "a", "gente", "ninguem", "te", "lhe", "vos", "lhes"})


def _protests(tokens: Sequence[str]) -> bool:
    """A clause that says the writer did not ask ("eu *não pedi* pra desmarcar")."""
    for i, token in enumerate(tokens):
        if token in _REQUESTED:
            j = i - 1
            while j >= 0 and tokens[j] in _BETWEEN:
                j -= 1
            if j >= 0 and tokens[j] in _NEGATION:
                return True
    return False


def only_protests(model: ReplyModel, parts: Sequence[Clause]) -> bool:
    """A protest ("não pedi cancelamento") with no clause beside it that answers."""
    protest = [c for c in parts if _protests(c.tokens)]
    if not protest:
        return False
    rest = [c for c in parts if c not in protest and not c.question]
    return not rest or model.read("", rest).intent == UNKNOWN
