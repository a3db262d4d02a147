"""A reply that answers the question and also asks to stop the messages.

"Eu vou sim, mas não quero mais receber mensagens" reads as a whole as an
opt-out, and a flow sends a free-text opt-out through one confirming question.
A receptionist would also note the "eu vou sim": the confirmation the same
message gives in a clause of its own. :func:`also_confirms` finds it by reading
each clause alone with the same reader and thresholds as the whole message
(nothing about the reply model changes); the flow decides what to do with it
(the ``also_confirms`` condition).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from bot.core.intents import UNKNOWN, Decision, Understanding, classify
from bot.core.wording import clauses

__all__ = ["also_confirms"]

CONFIRM = "confirm"
OPT_OUT = "opt_out"


def also_confirms(
    understanding: Understanding,
    texts: Sequence[str],
    decision: Decision,
    *,
    accepted: Collection[str],
    menu: Mapping[str, str],
    state: str,
) -> bool:
    """True when an opt-out read from free text also confirms, in a clause of its own.

    Only where a confirmation is an answer (``confirm`` in ``accepted``), and only
    when the clauses read as confirmation and opt-out and nothing else that answers
    ("não vou, e não quero mais receber mensagens" has no confirmation in it; a
    message that also asks to cancel or reschedule is not a plain confirmation).
    """
    if decision.intent != OPT_OUT or decision.rule != "model" or CONFIRM not in accepted:
        return False
    parts = clauses("\n".join(texts))
    if len(parts) < 2:
        return False
    read = {
        classify(
            understanding, " ".join(part.tokens), accepted=accepted, menu=menu, state=state
        ).intent
        for part in parts
    }
    return read - {UNKNOWN, OPT_OUT} == {CONFIRM}
