"""``PUT /api/v1/appointments`` (a batch, by external_id) and ``GET /api/v1/appointments/{external_id}``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from typing import cast

from aiohttp import web

from bot.core.model import Appointment, AppointmentStatus, is_reminder
from bot.core.ports import ApiToken, Cancellation, Operation, OutboxEntry
from bot.services.appointments import AppointmentService
from bot.web.api.auth import endpoint
from bot.web.api.batches import Envelope, batch_results, check_items, read_batch
from bot.web.api.errors import ApiError
from bot.web.api.idempotency import idempotent
from bot.web.api.models import (
    EXTERNAL_ID_PATTERN,
    Answer,
    AppointmentIn,
    AppointmentOut,
    BatchResult,
    CancellationOut,
    CancellationState,
    ItemResult,
    ReminderOut,
)
from bot.web.api.operations import operation_out
from bot.web.keys import API_TASKS, CLOCK, REMINDERS, SETTINGS, STORE, WAITLIST

__all__ = ["cancellation_out", "routes"]

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

_EXTERNAL_ID = re.compile(EXTERNAL_ID_PATTERN)
_ANSWERS: dict[AppointmentStatus, Answer] = {
    AppointmentStatus.CONFIRMED: "confirmed",
    AppointmentStatus.CANCEL_REQUESTED: "cancel",
    AppointmentStatus.RESCHEDULE_REQUESTED: "reschedule",
    AppointmentStatus.OPTED_OUT: "opted_out",
}


def _service(app: web.Application) -> AppointmentService:
    reminders, waitlist = app[REMINDERS], app[WAITLIST]

    async def changed(before: Appointment | None, after: Appointment) -> None:
        await reminders.appointment_changed(before, after)
        await waitlist.appointment_changed(before, after)  # a clinic cancel frees a time

    return AppointmentService(app[STORE], changed, app[CLOCK])


def _appointment(item: AppointmentIn) -> Appointment:
    return Appointment(
        id=uuid.uuid4().hex,  # kept only if the appointment is new
        external_id=item.external_id,
        patient_name=item.patient_name,
        phone=item.phone,
        starts_at=item.starts_at,
        doctor=item.doctor,
        specialty=item.specialty,
        unit=item.unit,
        status=AppointmentStatus(item.status),
    )


async def _run_batch(
    app: web.Application,
    valid: list[tuple[int, Appointment]],
    rejected: dict[int, ItemResult],
    operation_id: str | None = None,
) -> BatchResult:
    store = app[STORE]

    async def progress(done: int) -> None:
        if operation_id is not None:
            await store.operations.progress(operation_id, done + len(rejected), app[CLOCK]())

    pushed = await _service(app).push_many([a for _, a in valid], progress)
    items, summary = batch_results(
        rejected,
        (
            (index, p.outcome, p.appointment.external_id, p.appointment.id)
            for (index, _), p in zip(valid, pushed, strict=True)
        ),
    )
    return BatchResult(summary=summary, items=items)


async def _background(
    app: web.Application,
    operation_id: str,
    valid: list[tuple[int, Appointment]],
    rejected: dict[int, ItemResult],
) -> None:
    store = app[STORE]
    try:
        result = await _run_batch(app, valid, rejected, operation_id)
    except asyncio.CancelledError:
        raise  # shutdown: it shows as abandoned; the robot pushes again
    except Exception as exc:
        log.exception("api: a background batch failed", extra={"operation": operation_id})
        with contextlib.suppress(Exception):
            await store.operations.fail(
                operation_id, app[CLOCK](), f"{type(exc).__name__}: push the batch again"
            )
        return
    await store.operations.succeed(operation_id, app[CLOCK](), result.model_dump(mode="json"))


@routes.put("/api/v1/appointments")
@endpoint("appointments:write")
async def put_appointments(request: web.Request, token: ApiToken) -> web.StreamResponse:
    app = request.app
    settings = app[SETTINGS]
    raw, envelope = await read_batch(request, settings.api, Envelope, '{"items": [...]}')

    async def run() -> web.Response:
        units = [unit.key for unit in settings.units]
        valid, rejected = check_items(envelope.items, AppointmentIn, {"units": units}, _appointment)
        if len(envelope.items) <= settings.api.async_batch_threshold:
            result = await _run_batch(app, valid, rejected)
            return web.json_response(result.model_dump(mode="json"))
        now = app[CLOCK]()
        operation = Operation(
            id=uuid.uuid4().hex,
            kind="appointments.push",
            owner=token.name,
            created_at=now,
            updated_at=now,
            total=len(envelope.items),
        )
        await app[STORE].operations.create(operation)
        task = asyncio.create_task(_background(app, operation.id, valid, rejected))
        app[API_TASKS].add(task)
        task.add_done_callback(app[API_TASKS].discard)
        log.info("api: batch accepted", extra={"operation": operation.id, "items": operation.total})
        return web.json_response(
            operation_out(operation, now).model_dump(mode="json"),
            status=202,
            headers={"Location": f"/api/v1/operations/{operation.id}"},
        )

    return await idempotent(request, token, raw, run)


def cancellation_out(cancellation: Cancellation) -> CancellationOut:
    return CancellationOut(
        id=cancellation.id,
        external_id=cancellation.external_id,
        requested_at=cancellation.requested_at,
        cursor=str(cancellation.seq),
        state=cast(CancellationState, cancellation.result or "pending"),
        detail=cancellation.detail,
        acknowledged_at=cancellation.acked_at,
    )


def _reminder_out(entry: OutboxEntry) -> ReminderOut:
    return ReminderOut(
        kind=entry.kind,
        queued_at=entry.created_at,
        state=entry.state.value,
        delivery_status=entry.delivery_status,
        error_code=entry.delivery_error_code or entry.error_code,
    )


@routes.get("/api/v1/appointments/{external_id}")
@endpoint("appointments:write")
async def get_appointment(request: web.Request, token: ApiToken) -> web.StreamResponse:
    external_id = request.match_info["external_id"]
    store = request.app[STORE]
    appointment = (
        await store.appointments.get_by_external_id(external_id)
        if _EXTERNAL_ID.match(external_id)
        else None
    )
    if appointment is None:
        raise ApiError(404, "not_found", "no appointment with this external_id")
    reminders: list[ReminderOut] = []
    for conversation in reversed(await store.conversations.for_appointment(appointment.id)):
        for entry in await store.outbox.for_conversation(conversation.id):
            if is_reminder(entry.kind):
                reminders.append(_reminder_out(entry))
    cancellation = await store.cancellations.for_appointment(appointment.id)
    answer = _ANSWERS.get(appointment.status)
    if answer is None and cancellation is not None:
        answer = "cancel"
    body = AppointmentOut(
        id=appointment.id,
        external_id=appointment.external_id,
        status=appointment.status,
        starts_at=appointment.starts_at,
        unit=appointment.unit,
        doctor=appointment.doctor,
        specialty=appointment.specialty,
        patient_answer=answer,
        reminders=reminders,
        cancellation=cancellation_out(cancellation) if cancellation else None,
    )
    return web.json_response(body.model_dump(mode="json"))
