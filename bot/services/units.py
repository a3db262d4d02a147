"""The clinic's units as a conversation sees them: its address and the number it writes from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core.errors import NotFoundError
from bot.core.events import Unit
from bot.core.model import Conversation
from bot.core.ports import InboundMessage, Store

__all__ = ["UnitInfo", "answering_sender", "unit_info"]


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """What a conversation needs to know about the unit an appointment is at."""

    unit: Unit
    sender: str  # whatsapp:+55...


def unit_info(units: Mapping[str, UnitInfo], key: str) -> UnitInfo:
    try:
        return units[key]
    except KeyError:
        raise NotFoundError(f"unknown unit {key!r}") from None


async def answering_sender(
    store: Store,
    units: Mapping[str, UnitInfo],
    conversation: Conversation,
    replying_to: Sequence[InboundMessage],
) -> str:
    """The number to answer from: the one the patient wrote to, if it is ours (their open
    WhatsApp session is with that number); else the number of the appointment's unit."""
    ours = {info.sender for info in units.values()}
    if replying_to and replying_to[-1].to in ours:
        return replying_to[-1].to
    for appointment_id in conversation.appointment_ids:
        appointment = await store.appointments.get(appointment_id)
        if appointment is not None:
            return unit_info(units, appointment.unit).sender
    return next(iter(units.values())).sender
