"""The WhatsApp simulator: a newcomer plays the patient, with no Twilio account.

Only when no Twilio credentials are configured (else every route is a 404),
and only for a signed-in staff member. It plays only the demo patients: the
appointments it seeded or created itself (external ids ``DEMO-``/``SIM-``),
and phones no other appointment uses; what the robot pushed is never listed,
reminded, answered or reset from here.
The patient's messages go through the real webhook: the page's POST is turned
into the form Twilio would send, signed with the simulator's key and posted to
our own ``/webhooks/twilio/messages`` over HTTP, so the signature check, the
inbound store and the conversation turn are exactly those of real traffic.
The bot's answers are what the simulator channel delivered
(``simulator_messages``), streamed to the page as server-sent events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web
from twilio.request_validator import RequestValidator

from bot.core.diagram import mermaid
from bot.core.errors import NotFoundError, ValidationError
from bot.core.model import Appointment, AppointmentStatus, Conversation, ConversationStatus
from bot.core.phones import normalize, variants
from bot.services.demo import DEMO_PREFIX
from bot.services.reminders import reminder_id
from bot.web.keys import (
    CLOCK,
    CLOSING,
    CONVERSATIONS,
    FLOWS,
    LOOPBACK,
    READS,
    SETTINGS,
    SIGNING_KEY,
    STORE,
)
from bot.web.pages.auth import current, staff_only
from bot.web.pages.console import STATUS
from bot.web.twilio_fields import account_sid

__all__ = ["routes"]

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

SIM_PREFIX = "SIM-"
_POLL_SECONDS = 0.3
_WEBHOOK = "/webhooks/twilio/messages"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _enabled(request: web.Request) -> None:
    if request.app[SETTINGS].twilio_enabled:
        raise web.HTTPNotFound(reason="the simulator is off: Twilio credentials are configured")


def _json_refusal(cls: type[web.HTTPException], code: str, message: str) -> web.HTTPException:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False)
    return cls(text=body, content_type="application/json")


async def _staff(request: web.Request) -> None:
    """The simulator's API: on, and a staff member signed in."""
    _enabled(request)
    if await current(request) is None:
        raise _json_refusal(web.HTTPUnauthorized, "login_required", "Entre no console primeiro.")


def is_demo(appointment: Appointment) -> bool:
    """Seeded demo data or an appointment the simulator created (marked by its external id)."""
    return appointment.external_id.startswith((DEMO_PREFIX, SIM_PREFIX))


async def _demo_phone(request: web.Request, raw: object, *, new: bool = False) -> str:
    """``raw`` as E.164 if only demo appointments use it (``new``: or none does); else 403."""
    phone = _phone(raw)
    store = request.app[STORE]
    found = [a for number in variants(phone) for a in await store.appointments.for_phone(number)]
    if (not found and not new) or not all(is_demo(a) for a in found):
        raise _json_refusal(
            web.HTTPForbidden,
            "not_a_demo_patient",
            "O simulador só atua com os pacientes de demonstração.",
        )
    return phone


async def _body(request: web.Request) -> dict[str, Any]:
    # JSON only: a cross-site form cannot send it without a CORS preflight we never grant.
    await _staff(request)
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(reason="send application/json")
    body = await request.json()
    if not isinstance(body, dict):
        raise ValidationError("expected a JSON object")
    return body


def _phone(raw: object) -> str:
    return normalize(str(raw or ""))


def _appointment_json(appointment: Appointment, zone: str) -> dict[str, Any]:
    local = appointment.starts_at.astimezone(ZoneInfo(zone))
    return {
        "id": appointment.id,
        "patient": appointment.patient_name,
        "phone": appointment.phone,
        "unit": appointment.unit,
        "doctor": appointment.doctor,
        "when": local.strftime("%d/%m %H:%M"),
        "status": STATUS[appointment.status][0],
        "status_class": STATUS[appointment.status][1],
    }


def _zone(request: web.Request, unit_key: str) -> str:
    unit = request.app[SETTINGS].unit(unit_key)
    return unit.timezone if unit else "America/Sao_Paulo"


@routes.get("/simulator")
async def page(request: web.Request) -> web.StreamResponse:
    _enabled(request)  # off (404) before asking anyone to log in
    return await _page(request)


@staff_only
@aiohttp_jinja2.template("simulator.html")
async def _page(request: web.Request) -> dict[str, Any]:
    settings = request.app[SETTINGS]
    return {
        "clinic": settings.clinic.name,
        "units": settings.units,
        "flow": settings.reminders.flow,
    }


@routes.get("/simulator/api/appointments")
async def appointments(request: web.Request) -> web.Response:
    await _staff(request)
    since = request.app[CLOCK]().replace(hour=0, minute=0, second=0, microsecond=0)
    found = [a for a in await request.app[READS].upcoming(since, limit=500) if is_demo(a)]
    return web.json_response(
        {"appointments": [_appointment_json(a, _zone(request, a.unit)) for a in found]}
    )


@routes.post("/simulator/api/appointments")
async def create_appointment(request: web.Request) -> web.Response:
    """A new appointment for the simulated patient (as the clinic's robot would push it)."""
    body = await _body(request)
    settings = request.app[SETTINGS]
    unit = settings.unit(str(body.get("unit", "")))
    if unit is None:
        raise ValidationError("choose one of the configured units")
    name = str(body.get("patient", "")).strip()
    if not name:
        raise ValidationError("the patient's name is required")
    try:
        day = date.fromisoformat(str(body.get("date", "")))
        at = time.fromisoformat(str(body.get("time", "")))
    except ValueError:
        raise ValidationError("date is YYYY-MM-DD and time HH:MM") from None
    suffix = uuid.uuid4().hex[:10]
    appointment = Appointment(
        id=f"sim-{suffix}",
        external_id=f"{SIM_PREFIX}{suffix}",
        patient_name=name,
        phone=await _demo_phone(request, body.get("phone"), new=True),
        starts_at=datetime.combine(day, at, ZoneInfo(unit.timezone)),
        doctor=str(body.get("doctor", "")).strip() or "Dra. Cláudia Guimarães",
        unit=unit.key,
    )
    await request.app[STORE].appointments.upsert(appointment)
    return web.json_response(
        {"appointment": _appointment_json(appointment, unit.timezone)}, status=201
    )


@routes.post("/simulator/api/remind")
async def remind(request: web.Request) -> web.Response:
    """Send this appointment's reminder now, whatever the sending hours."""
    body = await _body(request)
    app = request.app
    appointment = await app[STORE].appointments.get(str(body.get("appointment_id", "")))
    if appointment is None or not is_demo(appointment):
        raise NotFoundError("no such demo appointment")
    await _demo_phone(request, appointment.phone)
    generation, _ = await app[READS].simulator_session(appointment.phone)
    claim = reminder_id(appointment) + (f":sim{generation}" if generation else "")
    started = await app[CONVERSATIONS].start(claim, app[SETTINGS].reminders.flow, [appointment])
    if started is None:
        raise ValidationError(
            "this reminder was sent already: press Reiniciar to start the chat over"
        )
    return web.json_response({"conversation": started.id})


@routes.post("/simulator/api/send")
async def send(request: web.Request) -> web.Response:
    """The patient writes (or taps a button): post it to our webhook exactly as Twilio would."""
    body = await _body(request)
    phone = await _demo_phone(request, body.get("phone"))
    text = str(body.get("text", ""))
    button = str(body.get("button_id", "")) or None
    if not text.strip() and button is None:
        raise ValidationError("write something or tap a button")
    sid = "SM" + uuid.uuid4().hex  # Twilio's shape: the webhook refuses any other
    form = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": account_sid(request.app[SETTINGS]),
        "From": f"whatsapp:{phone}",
        "To": await _sender_for(request, phone),
        "WaId": phone.lstrip("+"),
        "ProfileName": "Simulador",
        "Body": text,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    if button is not None:
        form["ButtonPayload"] = button
        form["ButtonText"] = text
    status = await _post_to_webhook(request, form)
    if status != 200:
        raise ValidationError(f"the webhook answered {status}")
    return web.json_response({"sid": sid})


async def _sender_for(request: web.Request, phone: str) -> str:
    """Our number the patient writes to: the unit of their latest conversation, or the first."""
    settings = request.app[SETTINGS]
    conversation = await request.app[READS].latest_for_phone(variants(phone))
    if conversation is not None:
        for appointment_id in conversation.appointment_ids:
            appointment = await request.app[STORE].appointments.get(appointment_id)
            if appointment is not None and (unit := settings.unit(appointment.unit)):
                return unit.whatsapp_sender
    return settings.units[0].whatsapp_sender if settings.units else "whatsapp:+5511900000000"


async def _post_to_webhook(request: web.Request, form: dict[str, str]) -> int:
    settings = request.app[SETTINGS]
    # The webhook rebuilds the URL Twilio signed from PUBLIC_BASE_URL or the Host header.
    base = (settings.public_base_url or f"http://{request.host}").rstrip("/")
    signature = RequestValidator(request.app[SIGNING_KEY]).compute_signature(base + _WEBHOOK, form)
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not sockname:
        raise ValidationError("cannot find this server's own address")
    host, port = sockname[0], sockname[1]
    if ":" in host:
        host = f"[{host}]"
    if host in {"0.0.0.0", "[::]"}:  # noqa: S104 - only compared, never bound
        host = "127.0.0.1"
    async with request.app[LOOPBACK].post(
        f"http://{host}:{port}{_WEBHOOK}",
        data=form,
        headers={"X-Twilio-Signature": signature, "Host": request.host},
    ) as response:
        await response.read()
        return response.status


@routes.post("/simulator/api/reset")
async def reset(request: web.Request) -> web.Response:
    """Start over: stop the conversation, clear the chat, make the demo appointments new again."""
    body = await _body(request)
    app = request.app
    phone = await _demo_phone(request, body.get("phone"))
    phones = variants(phone)
    for _ in range(10):
        conversation = await app[STORE].conversations.active_for_phone(phones)
        if conversation is None:
            break
        await app[CONVERSATIONS].stop(conversation, "reset")
    for number in phones:
        await app[STORE].suppressions.remove(number)
        for appointment in await app[STORE].appointments.for_phone(number):
            if appointment.external_id.startswith((DEMO_PREFIX, SIM_PREFIX)):
                await app[STORE].appointments.upsert(
                    replace(appointment, status=AppointmentStatus.SCHEDULED)
                )
                await app[READS].forget_cancellation(appointment.id)
    generation = await app[READS].reset_simulator(phones, app[CLOCK]())
    return web.json_response({"generation": generation})


# --- live updates ---------------------------------------------------------------------


async def _conversation_view(request: web.Request, phone: str) -> dict[str, Any]:
    app = request.app
    _, since = await app[READS].simulator_session(phone)
    conversation = await app[READS].latest_for_phone(variants(phone))
    if conversation is not None and since is not None and conversation.created_at < since:
        conversation = None
    flow_name = conversation.flow if conversation else app[SETTINGS].reminders.flow
    try:
        flow = (
            app[FLOWS].load_version(conversation.flow, conversation.flow_version)
            if conversation
            else app[FLOWS].current(flow_name)
        )
    except NotFoundError:
        flow = app[FLOWS].current(flow_name)
    view: dict[str, Any] = {
        "conversation": conversation.id if conversation else None,
        "flow": flow.name,
        "state": conversation.state if conversation else None,
        "status": conversation.status.value if conversation else None,
        "status_text": _status_text(conversation),
    }
    view["diagram"] = mermaid(flow.spec, conversation.state if conversation else None)
    return view


def _status_text(conversation: Conversation | None) -> str:
    if conversation is None:
        return "Nenhuma conversa: escolha uma consulta e envie o lembrete."
    return {
        ConversationStatus.ACTIVE: "O robô está conversando",
        ConversationStatus.HANDED_OFF: "Passada para a equipe (veja o console)",
        ConversationStatus.DONE: "Conversa encerrada",
    }[conversation.status]


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


@routes.get("/simulator/api/events")
async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events for one phone: each new chat line, and the conversation's state.

    Polls MongoDB (every process sees the same data, so any web process can serve it).
    """
    await _staff(request)
    phone = await _demo_phone(request, request.query.get("phone"))
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    reads, seen, last_view = request.app[READS], set[str](), None
    closing = request.app[CLOSING]
    try:
        while not closing.is_set():
            _, since = await reads.simulator_session(phone)
            lines = await reads.simulator_lines(variants(phone), since or _EPOCH)
            for line in lines:
                if line.id not in seen:
                    seen.add(line.id)
                    await response.write(_event("line", line.as_json()))
            view = await _conversation_view(request, phone)
            key = (view["conversation"], view["state"], view["status"])
            if key != last_view:
                last_view = key
                await response.write(_event("state", view))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closing.wait(), _POLL_SECONDS)
    except ConnectionResetError:  # the page was closed
        pass
    return response
