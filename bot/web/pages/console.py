"""The staff console: the day's appointments, the hand-off queue, problems, flows.

Every page needs a staff login; every action is recorded in the audit log
(who, what, which conversation or appointment: never message text).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from bot.core import diagram
from bot.core.errors import ConflictError, NotFoundError, ValidationError
from bot.core.model import (
    Appointment,
    AppointmentStatus,
    Conversation,
    ConversationStatus,
    DecisionRecord,
    decisions_of,
)
from bot.core.phones import for_people, variants
from bot.services import handoffs
from bot.services.outbox import requeue_dead_letter
from bot.web.keys import CLOCK, CONVERSATIONS, FLOWS, QUEUE, READS, SETTINGS, STAFF, STORE
from bot.web.pages.audit_words import in_words
from bot.web.pages.auth import checked_form, current, staff_only
from bot.web.pages.situations import STATUS, Situation, situation

__all__ = ["FILTERS", "STATUS", "base_context", "routes"]

routes = web.RouteTableDef()

NOTICES = {
    "respondida": "Resposta enviada ao paciente.",
    "encerrada": "Conversa encerrada.",
    "devolvida": "Conversa devolvida ao robô; ele leu o que o paciente escreveu enquanto isso.",
    "registrada-confirmed": "Registrado: o paciente confirmou a consulta.",
    "registrada-cancelled": "Registrado: o paciente desmarcou; o cancelamento foi para o robô da agenda.",
    "registrada-reschedule": "Registrado: o paciente quer remarcar.",
    "registrada-opted_out": "Registrado: o paciente não quer mais mensagens.",
    "invalida": "Escolha uma das respostas do paciente.",
    "janela": (
        "Não enviado: a última mensagem do paciente tem mais de 24 horas. "
        "Fora dessa janela o WhatsApp só aceita modelos aprovados; ligue para o paciente."
    ),
    "vazia": "Escreva a resposta antes de enviar.",
    "conflito": "A conversa mudou enquanto você olhava. Veja como ela está agora.",
    "fechada": "Esta conversa não está mais com a equipe.",
    "reenviada": "Mensagem colocada de novo na fila de envio.",
    "naoreenviada": "Esta mensagem não está mais entre as que falharam.",
}


def _local(moment: datetime | None, zone: str = "America/Sao_Paulo") -> str:
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(zone)).strftime("%d/%m %H:%M")


def _hour(moment: datetime, zone: str = "America/Sao_Paulo") -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M")


FILTERS = {"local": _local, "hour": _hour, "phone": for_people, "action": in_words}


async def _base(request: web.Request, page: str) -> dict[str, Any]:
    session = await current(request)
    assert session is not None
    return {
        "page": page,
        "staff": session,
        "csrf": session.csrf,
        "notice": NOTICES.get(request.query.get("aviso", "")),
        "warning": request.query.get("aviso")
        in {"janela", "conflito", "fechada", "vazia", "invalida"},
        "clinic": request.app[SETTINGS].clinic.name,
    }


# What every console page's template reads (the staff member, the CSRF token …): the
# pages in their own modules (bot.web.pages.waitlist) start from it too.
base_context = _base


# --- the day ------------------------------------------------------------------------


@routes.get("/console")
@staff_only
@aiohttp_jinja2.template("agenda.html")
async def agenda(request: web.Request) -> dict[str, Any]:
    """Today's and tomorrow's appointments, per unit, with their status."""
    settings, now = request.app[SETTINGS], request.app[CLOCK]()
    found = await request.app[READS].appointments_between(
        now - timedelta(days=2), now + timedelta(days=3)
    )
    situations = await _situations(request, found)
    units = []
    for unit in settings.units:
        zone = ZoneInfo(unit.timezone)
        today = now.astimezone(zone).date()
        days = []
        for label, day in (("Hoje", today), ("Amanhã", today + timedelta(days=1))):
            rows = [
                a
                for a in found
                if a.unit == unit.key and a.starts_at.astimezone(zone).date() == day
            ]
            shown = [(a, situations[a.id]) for a in rows]
            counts = Counter((s.label, s.css) for _, s in shown)
            days.append({"label": label, "date": day, "rows": shown, "counts": counts})
        units.append({"unit": unit, "days": days})
    return await _base(request, "agenda") | {"units": units}


async def _situations(request: web.Request, found: list[Appointment]) -> dict[str, Situation]:
    """Each appointment's situation: its status plus what needs a person."""
    store, reads = request.app[STORE], request.app[READS]
    newest: dict[str, Conversation] = {}
    for conversation in await store.conversations.for_appointments([a.id for a in found]):
        for appointment_id in conversation.appointment_ids:
            known = newest.get(appointment_id)
            if known is None or conversation.created_at > known.created_at:
                newest[appointment_id] = conversation
    failed = {c.appointment_id for c in await reads.failed_cancellations()}
    shown = {}
    for a in found:
        suppressed = a.status is AppointmentStatus.OPTED_OUT and (
            await store.suppressions.is_suppressed(*variants(a.phone))
        )
        shown[a.id] = situation(
            a, newest.get(a.id), cancel_failed=a.id in failed, suppressed=suppressed
        )
    return shown


# --- the hand-off queue ---------------------------------------------------------------


async def _first_appointment(
    request: web.Request, conversation: Conversation
) -> Appointment | None:
    for appointment_id in conversation.appointment_ids:
        if (found := await request.app[STORE].appointments.get(appointment_id)) is not None:
            return found
    return None


def _reason(conversation: Conversation) -> str:
    decisions = decisions_of(conversation.data)
    if conversation.state == "reschedule":
        return "Pediu para remarcar"
    last: DecisionRecord = decisions[-1] if decisions else {}
    if last.get("rule") == "non_text":
        return "Mandou áudio, foto ou mensagem vazia"
    if last.get("intent") == "unknown":
        return "O robô não entendeu a resposta"
    return "O robô passou para a equipe"


async def _window_until(request: web.Request, conversation: Conversation) -> datetime | None:
    last = await request.app[READS].last_inbound_at(variants(conversation.phone))
    if last is None:
        return None
    until = last + handoffs.WINDOW
    return until if until > request.app[CLOCK]() else None


@routes.get("/console/atendimento")
@staff_only
@aiohttp_jinja2.template("handoffs.html")
async def handoff_queue(request: web.Request) -> dict[str, Any]:
    rows = []
    for conversation in await request.app[READS].handed_off():
        rows.append(
            {
                "conversation": conversation,
                "appointment": await _first_appointment(request, conversation),
                "reason": _reason(conversation),
                "window_until": await _window_until(request, conversation),
            }
        )
    unknown = await request.app[READS].unknown_senders()
    return await _base(request, "atendimento") | {"rows": rows, "unknown": unknown}


async def _conversation(request: web.Request) -> Conversation:
    found = await request.app[STORE].conversations.get(request.match_info["conversation_id"])
    if found is None:
        raise NotFoundError("no such conversation")
    return found


@routes.get("/console/atendimento/{conversation_id}")
@staff_only
@aiohttp_jinja2.template("handoff.html")
async def handoff_detail(request: web.Request) -> dict[str, Any]:
    conversation = await _conversation(request)
    return await _base(request, "atendimento") | {
        "conversation": conversation,
        "appointment": await _first_appointment(request, conversation),
        "lines": await request.app[READS].exchange(conversation),
        "reason": _reason(conversation),
        "window_until": await _window_until(request, conversation),
        "open": conversation.status is ConversationStatus.HANDED_OFF,
        "status": STATUS,
    }


def _back(conversation: Conversation, notice: str, *, to_queue: bool = False) -> web.HTTPFound:
    path = "/console/atendimento" if to_queue else f"/console/atendimento/{conversation.id}"
    return web.HTTPFound(f"{path}?aviso={notice}")


@routes.post("/console/atendimento/{conversation_id}/{action:responder|encerrar|devolver}")
@staff_only
async def handoff_action(request: web.Request) -> web.StreamResponse:
    form = await checked_form(request)
    conversation = await _conversation(request)
    action = request.match_info["action"]
    if conversation.status is not ConversationStatus.HANDED_OFF:
        raise _back(conversation, "fechada")
    app, now = request.app, request.app[CLOCK]()
    session = await current(request)
    assert session is not None
    try:
        if action == "responder":
            appointment = await _first_appointment(request, conversation)
            unit = app[SETTINGS].unit(appointment.unit) if appointment else None
            sender = (unit or app[SETTINGS].units[0]).whatsapp_sender
            await handoffs.staff_reply(
                app[STORE],
                app[QUEUE],
                conversation,
                text=str(form.get("text", "")),
                sender=sender,
                last_inbound_at=await app[READS].last_inbound_at(variants(conversation.phone)),
                now=now,
            )
            notice, audit = "respondida", "handoff.reply"
        elif action == "encerrar":
            await handoffs.close(app[STORE], conversation, now=now)
            notice, audit = "encerrada", "handoff.close"
        else:
            flow = app[FLOWS].load_version(conversation.flow, conversation.flow_version)
            active = await handoffs.give_back(app[STORE], flow, conversation, now=now)
            # What the patient wrote meanwhile (an answer to the person) is read, never dropped.
            unread = handoffs.unanswered(active, await app[READS].exchange(active))
            await app[CONVERSATIONS].read_unanswered(active, unread)
            notice, audit = "devolvida", "handoff.give_back"
    except handoffs.OutsideWindowError:
        await app[STAFF].record(
            session.email, "handoff.reply_refused", now, conversation=conversation.id
        )
        raise _back(conversation, "janela") from None
    except ValidationError:
        raise _back(conversation, "vazia") from None
    except ConflictError:
        raise _back(conversation, "conflito") from None
    await app[STAFF].record(session.email, audit, now, conversation=conversation.id)
    raise _back(conversation, notice, to_queue=action != "responder")


@routes.post("/console/atendimento/{conversation_id}/registrar")
@staff_only
async def handoff_outcome(request: web.Request) -> web.StreamResponse:
    """Staff record the patient's answer (given to them) on the patient's behalf."""
    form = await checked_form(request)
    conversation = await _conversation(request)
    if conversation.status is not ConversationStatus.HANDED_OFF:
        raise _back(conversation, "fechada")
    outcome = str(form.get("outcome", ""))
    app, now = request.app, request.app[CLOCK]()
    session = await current(request)
    assert session is not None
    try:
        await handoffs.record_outcome(app[STORE], conversation, outcome, now=now)
    except ValidationError:
        raise _back(conversation, "invalida") from None
    except ConflictError:
        raise _back(conversation, "conflito") from None
    await app[STAFF].record(
        session.email, f"handoff.outcome.{outcome}", now, conversation=conversation.id
    )
    raise _back(conversation, f"registrada-{outcome}", to_queue=True)


# --- problems -------------------------------------------------------------------------


@routes.get("/console/problemas")
@staff_only
@aiohttp_jinja2.template("problems.html")
async def problems(request: web.Request) -> dict[str, Any]:
    store, reads = request.app[STORE], request.app[READS]
    cancellations = []
    for cancellation in await reads.failed_cancellations():
        appointment = await store.appointments.get(cancellation.appointment_id)
        cancellations.append({"cancellation": cancellation, "appointment": appointment})
    return await _base(request, "problemas") | {
        "dead": await store.dead_letters.newest(100),
        "paused": await store.sender_pauses.active(request.app[CLOCK]()),
        "cancellations": cancellations,
        "actions": await request.app[STAFF].recent_actions(30),
    }


@routes.post("/console/problemas/reenviar")
@staff_only
async def requeue(request: web.Request) -> web.StreamResponse:
    form = await checked_form(request)
    key = str(form.get("key", ""))
    app = request.app
    revived = await requeue_dead_letter(app[STORE], app[QUEUE], key, clock=app[CLOCK])
    session = await current(request)
    assert session is not None
    if revived:
        entry = await app[STORE].outbox.get(key)
        conversation = entry.conversation_id if entry else None
        await app[STAFF].record(
            session.email, "dead_letter.requeue", app[CLOCK](), conversation=conversation, key=key
        )
    raise web.HTTPFound(f"/console/problemas?aviso={'reenviada' if revived else 'naoreenviada'}")


# --- flows ----------------------------------------------------------------------------


@routes.get("/console/fluxos")
@staff_only
@aiohttp_jinja2.template("flows.html")
async def flows(request: web.Request) -> dict[str, Any]:
    catalog = request.app[FLOWS]
    found = []
    for name in catalog.registry.names():
        flow = catalog.current(name)
        found.append(
            {
                "name": name,
                "version": flow.version,
                "versions": catalog.registry.versions(name),
                "description": flow.spec.description,
                "mermaid": diagram.mermaid(flow.spec),
            }
        )
    return await _base(request, "fluxos") | {"flows": found, "problems": catalog.problems}
