"""The agenda's situations: what needs a person shows over the stored status."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.model import AppointmentStatus, ConversationStatus
from bot.core.phones import for_people
from bot.web.pages.situations import situation
from tests import builders

KEPT = {"decisions": [{"state": "confirm_cancel", "intent": "no", "rule": "button"}]}


@pytest.mark.parametrize(
    ("status", "conversation_status", "data", "cancel_failed", "suppressed", "expected"),
    [
        (AppointmentStatus.CONFIRMED, None, {}, False, False, "Confirmada"),
        (
            AppointmentStatus.CANCEL_REQUESTED,
            ConversationStatus.DONE,
            {},
            True,
            False,
            "Cancelamento não aplicado pelo robô",
        ),
        (AppointmentStatus.CANCEL_REQUESTED, None, {}, False, False, "Cancelada pelo paciente"),
        (
            AppointmentStatus.SCHEDULED,
            ConversationStatus.HANDED_OFF,
            {},
            False,
            False,
            "Com a equipe",
        ),
        (
            AppointmentStatus.OPTED_OUT,
            ConversationStatus.DONE,
            {},
            False,
            True,
            "Não quer mensagens",
        ),
        (
            AppointmentStatus.OPTED_OUT,
            ConversationStatus.DONE,
            {},
            False,
            False,
            "Voltou a aceitar mensagens",
        ),
        (
            AppointmentStatus.NO_RESPONSE,
            ConversationStatus.DONE,
            KEPT,
            False,
            False,
            "Manteve a consulta sem confirmar",
        ),
        (AppointmentStatus.NO_RESPONSE, ConversationStatus.DONE, {}, False, False, "Sem resposta"),
    ],
)
def test_situation(
    status: AppointmentStatus,
    conversation_status: ConversationStatus | None,
    data: dict[str, object],
    cancel_failed: bool,
    suppressed: bool,
    expected: str,
) -> None:
    appointment = builders.appointment(status=status)
    conversation = (
        None
        if conversation_status is None
        else replace(builders.conversation(), status=conversation_status, data=data)
    )
    shown = situation(appointment, conversation, cancel_failed=cancel_failed, suppressed=suppressed)
    assert shown.label == expected
    assert ("alert" in shown.css) == cancel_failed


def test_phones_are_written_the_way_people_write_them() -> None:
    assert for_people("+5511991110001") == "(11) 99111-0001"
    assert for_people("+551133334444") == "(11) 3333-4444"
    assert for_people("not a phone") == "not a phone"
