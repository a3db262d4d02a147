"""A tap listed without its payload: which button it was, from our messages' buttons."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.model import OutboxEntry
from bot.core.taps import Tap, recovered_tap
from tests.builders import NOW, outbox_entry

REMINDER = (("confirm", "Confirmar"), ("cancel", "Desmarcar"), ("reschedule", "Remarcar"))
QUESTION = (("cancel_yes", "Sim, desmarcar"), ("cancel_no", "Manter consulta"))


def _sent(
    key: str, conversation: str, buttons: tuple[tuple[str, str], ...], minute: int
) -> OutboxEntry:
    return outbox_entry(
        key,
        conversation_id=conversation,
        buttons=buttons,
        provider_sid=f"SM-{key}",
        created_at=NOW + timedelta(minutes=minute),
    )


C1_REMINDER = _sent("c1:reminder", "c1", REMINDER, 0)
C2_REMINDER = _sent("c2:reminder", "c2", REMINDER, 1)
C1_QUESTION = _sent("c1:question", "c1", QUESTION, 2)
C1_REMINDER_2 = _sent("c1:reminder_2", "c1", REMINDER, 3)


@pytest.mark.parametrize(
    ("body", "sent", "expected"),
    [
        # Only one message offers the label: that button, answering that message.
        (
            "Sim, desmarcar",
            [C1_REMINDER, C2_REMINDER, C1_QUESTION],
            Tap("cancel_yes", "SM-c1:question"),
        ),
        ("  sim,  DESMARCAR ", [C1_QUESTION], Tap("cancel_yes", "SM-c1:question")),
        ("Desmarcar", [C1_REMINDER], Tap("cancel", "SM-c1:reminder")),
        # One conversation offers it twice with the same meaning: the newest message.
        ("Confirmar", [C1_REMINDER, C1_REMINDER_2], Tap("confirm", "SM-c1:reminder_2")),
        # Two conversations offer it: either could be meant; a typed reply.
        ("Desmarcar", [C1_REMINDER, C2_REMINDER], None),
        # Not a label, or nothing offered it, or never sent.
        ("sim", [C1_REMINDER, C1_QUESTION], None),
        ("", [C1_REMINDER], None),
        ("Desmarcar", [], None),
        ("Desmarcar", [outbox_entry(buttons=REMINDER)], None),
    ],
)
def test_recovered_tap(body: str, sent: list[OutboxEntry], expected: Tap | None) -> None:
    assert recovered_tap(body, sent) == expected
