"""What the agenda says about an appointment: its status, and what needs a person.

The stored status says what the patient answered; staff also need to see who
is waiting for them ("com a equipe"), a cancellation the scheduling robot
could not apply (highlighted: the slot is still taken in the legacy system),
an opt-out the patient took back with VOLTAR, and a patient who chose to keep
the appointment and then never confirmed (not the same as never answering).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.model import (
    Appointment,
    AppointmentStatus,
    Conversation,
    ConversationStatus,
    chose_to_keep,
)

__all__ = ["STATUS", "Situation", "situation"]

# Appointment status -> (what staff read, css class).
STATUS: dict[AppointmentStatus, tuple[str, str]] = {
    AppointmentStatus.SCHEDULED: ("Aguardando resposta", "waiting"),
    AppointmentStatus.CONFIRMED: ("Confirmada", "confirmed"),
    AppointmentStatus.CANCEL_REQUESTED: ("Cancelada pelo paciente", "cancelled"),
    AppointmentStatus.CANCELLED: ("Cancelada", "cancelled"),
    AppointmentStatus.RESCHEDULE_REQUESTED: ("Quer remarcar", "handoff"),
    AppointmentStatus.NO_RESPONSE: ("Sem resposta", "noanswer"),
    AppointmentStatus.DELIVERY_FAILED: ("Falha na entrega", "failed"),
    AppointmentStatus.OPTED_OUT: ("Não quer mensagens", "noanswer"),
}


@dataclass(frozen=True, slots=True)
class Situation:
    key: str  # for tests and the page's data attribute
    label: str
    css: str


def situation(
    appointment: Appointment,
    conversation: Conversation | None,
    *,
    cancel_failed: bool,
    suppressed: bool,
) -> Situation:
    """The one line the agenda shows, most urgent first."""
    status = appointment.status
    if cancel_failed:
        return Situation("cancel_failed", "Cancelamento não aplicado pelo robô", "failed alert")
    if conversation is not None and conversation.status is ConversationStatus.HANDED_OFF:
        return Situation("with_staff", "Com a equipe", "handoff")
    if status is AppointmentStatus.OPTED_OUT and not suppressed:
        return Situation("opted_back_in", "Voltou a aceitar mensagens", "waiting")
    if (
        status is AppointmentStatus.NO_RESPONSE
        and conversation is not None
        and chose_to_keep(conversation.data)
    ):
        return Situation("kept_unconfirmed", "Manteve a consulta sem confirmar", "noanswer")
    label, css = STATUS[status]
    return Situation(status.value, label, css)
