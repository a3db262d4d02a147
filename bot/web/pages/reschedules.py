"""The console's rescheduling page (``/console/remarcacoes``): held times and pending moves.

What a person watches while the robot closes the loop: the times held for
patients now (and until when), and the moves the robot has not settled yet
(held, not acknowledged) or could not apply (failed: the time was taken in the
legacy system). Patients appear masked, as everywhere outside a conversation
a person is handling: first name and the initial of the last, the phone with
only the country code and the last two digits (``+55*********21``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.core.model import Appointment, Reschedule, RescheduleState
from bot.logs import mask_phone
from bot.web.keys import CLOCK, READS, SETTINGS, STORE
from bot.web.pages.auth import staff_only
from bot.web.pages.console import _base as base_context

__all__ = ["mask_name", "routes"]

routes = web.RouteTableDef()

_PENDING = (RescheduleState.HELD, RescheduleState.FAILED)


def mask_name(name: str) -> str:
    """``Maria da Silva`` -> ``Maria S.``: enough for a person to tell two patients apart."""
    words = name.split()
    if not words:
        return "—"
    last = next((w for w in reversed(words[1:]) if len(w) > 2), "")
    return f"{words[0]} {last[0]}." if last else words[0]


async def _row(request: web.Request, move: Reschedule, now: datetime) -> dict[str, Any]:
    store, settings = request.app[STORE], request.app[SETTINGS]
    appointment: Appointment | None = await store.appointments.get(move.appointment_id)
    slot = await store.slots.get(move.slot_id)
    unit = settings.unit(slot.unit) if slot else None
    return {
        "move": move,
        "patient": mask_name(appointment.patient_name) if appointment else "—",
        "phone": mask_phone(appointment.phone) if appointment else "—",
        "was": appointment.starts_at if appointment else None,
        "slot": slot,
        "unit": unit.name if unit else (slot.unit if slot else "—"),
        "hold_ended": move.state is RescheduleState.HELD and move.hold_until <= now,
    }


@routes.get("/console/remarcacoes")
@staff_only
@aiohttp_jinja2.template("reschedules.html")
async def reschedules(request: web.Request) -> dict[str, Any]:
    now = request.app[CLOCK]()
    rows = [await _row(request, m, now) for m in await request.app[READS].moves(_PENDING)]
    held = [r for r in rows if r["move"].state is RescheduleState.HELD and not r["hold_ended"]]
    return await base_context(request, "remarcacoes") | {"held": held, "pending": rows}
