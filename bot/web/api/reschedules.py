"""``GET /api/v1/reschedules`` (held moves, oldest first) and ``POST …/{id}/ack``."""

from __future__ import annotations

from aiohttp import web

from bot.core.errors import ConflictError
from bot.core.ports import ApiToken, Reschedule, RescheduleState, Store
from bot.services.reschedules import HoldExpiredError
from bot.web.api.auth import endpoint
from bot.web.api.errors import ApiError
from bot.web.api.feeds import feed_query, next_cursor, read_ack
from bot.web.api.slot_models import RescheduleAckIn, RescheduleOut, ReschedulePage
from bot.web.keys import RESCHEDULES, STORE

__all__ = ["routes"]

routes = web.RouteTableDef()


async def _out(store: Store, move: Reschedule) -> RescheduleOut:
    """The move with what the robot needs to book it: the new time and the patient."""
    slot = await store.slots.get(move.slot_id)
    appointment = await store.appointments.get(move.appointment_id)
    return RescheduleOut(
        id=move.id,
        cursor=str(move.seq),
        state=move.state.value,
        requested_at=move.requested_at,
        hold_until=move.hold_until,
        appointment_external_id=move.external_id,
        slot_external_id=move.slot_external_id,
        starts_at=slot.starts_at if slot else None,
        doctor=slot.doctor if slot else None,
        unit=slot.unit if slot else None,
        patient_name=appointment.patient_name if appointment else None,
        phone=appointment.phone if appointment else None,
        detail=move.detail,
        acknowledged_at=move.acked_at,
    )


@routes.get("/api/v1/reschedules")
@endpoint("reschedules:read")
async def list_reschedules(request: web.Request, token: ApiToken) -> web.StreamResponse:
    after, limit = feed_query(request)
    found = await request.app[RESCHEDULES].pending(after, limit)
    store = request.app[STORE]
    page = ReschedulePage(
        items=[await _out(store, move) for move in found], next_cursor=next_cursor(found, limit)
    )
    return web.json_response(page.model_dump(mode="json"))


@routes.post("/api/v1/reschedules/{reschedule_id}/ack")
@endpoint("reschedules:read")
async def acknowledge(request: web.Request, token: ApiToken) -> web.StreamResponse:
    reschedule_id, ack = await read_ack(request, "reschedule_id", RescheduleAckIn, "reschedule")
    service = request.app[RESCHEDULES]
    try:
        stored = await service.acknowledge(reschedule_id, RescheduleState(ack.result), ack.detail)
    except HoldExpiredError as exc:
        raise ApiError(409, "hold_expired", str(exc)) from None
    except ConflictError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return web.json_response((await _out(request.app[STORE], stored)).model_dump(mode="json"))
