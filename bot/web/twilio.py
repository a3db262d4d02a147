"""Twilio's webhooks: inbound WhatsApp messages and delivery status callbacks.

Both check ``X-Twilio-Signature`` against the public URL (``PUBLIC_BASE_URL`` +
path + query, exactly what Twilio signed) and every posted field, unknown ones
included; a bad or missing signature is a 403 before anything is stored.
Inbound messages are stored first (unique MessageSid), answered with empty
TwiML at once, and their conversation turn runs after the answer.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from aiohttp import web
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from bot import metrics
from bot.core.errors import ValidationError
from bot.core.outbox import STATUS_RANK
from bot.core.phones import sender_identity
from bot.core.ports import InboundMessage, StatusEvent
from bot.logs import correlation_id, mask_phone
from bot.services.outbox import record_status
from bot.web.keys import CLOCK, CONVERSATIONS, SETTINGS, SIGNING_KEY, STORE, TURNS
from bot.web.twilio_fields import bound_key, check_inbound, check_status
from bot.web.twilio_signature import signed

__all__ = ["routes"]

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _twiml() -> web.Response:
    return web.Response(text=EMPTY_TWIML, content_type="application/xml")


async def _signed_form(request: web.Request) -> MultiDict[str]:
    """The posted fields, if the signature covers them and this exact URL; else 403."""
    form = await request.post()
    fields: MultiDict[str] = MultiDict((k, v) for k, v in form.items() if isinstance(v, str))
    settings = request.app[SETTINGS]
    base = (settings.public_base_url or f"{request.scheme}://{request.host}").rstrip("/")
    # raw_path: the path and query exactly as sent (rel_url decodes %3A and friends,
    # and Twilio signed the encoded URL it was given).
    url = base + request.raw_path
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(request.app[SIGNING_KEY])
    if not signature or not signed(validator, url, fields, signature):
        log.warning("webhook signature rejected", extra={"path": request.path})
        raise web.HTTPForbidden(
            text='{"error": {"code": "bad_signature", "message": "X-Twilio-Signature does not match"}}',
            content_type="application/json",
        )
    return fields


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


@routes.post("/webhooks/twilio/messages")
async def inbound(request: web.Request) -> web.Response:
    form = await _signed_form(request)
    sid = check_inbound(form, request.app[SETTINGS])
    phone, user_id = sender_identity(form.get("From", ""), form.get("WaId", ""))
    now: datetime = request.app[CLOCK]()
    message = InboundMessage(
        sid=sid,
        phone=phone,
        body=form.get("Body", ""),
        received_at=now,
        # A quick-reply tap names its id in ButtonPayload; a list item tapped, in ListId.
        button_payload=form.get("ButtonPayload") or form.get("ListId") or None,
        media_count=_int(form.get("NumMedia")),
        channel="whatsapp",
        to=form.get("To", ""),
        replied_to=form.get("OriginalRepliedMessageSid") or None,
        user_id=user_id,
    )
    correlation_id.set(sid)
    if not await request.app[STORE].inbound.add(message):
        metrics.INBOUND.labels("duplicate").inc()
        return _twiml()  # a replay: stored and handled the first time
    metrics.INBOUND.labels("stored").inc()
    log.info(
        "inbound stored",
        extra={"sid": sid, "phone": mask_phone(phone) if phone else "not a phone number"},
    )
    task = asyncio.create_task(_run_turn(request.app, message))
    request.app[TURNS].add(task)
    task.add_done_callback(request.app[TURNS].discard)
    return _twiml()


async def _run_turn(app: web.Application, message: InboundMessage) -> None:
    try:
        await app[CONVERSATIONS].process(message)
    except Exception:
        # The message stays unprocessed: the recovery scan picks it up again.
        log.exception("conversation turn failed", extra={"sid": message.sid})


@routes.post("/webhooks/twilio/status")
async def status(request: web.Request) -> web.Response:
    form = await _signed_form(request)
    sid = check_status(form, request.app[SETTINGS])
    value = form["MessageStatus"].lower()
    if value not in STATUS_RANK:
        raise ValidationError("MessageSid and a known MessageStatus are required")
    key = await bound_key(request.app[STORE], request.query.get("key"), sid, form["To"])
    event = StatusEvent(
        sid=sid,
        status=value,
        received_at=request.app[CLOCK](),
        key=key,
        error_code=_int(form.get("ErrorCode")) or None,
    )
    await record_status(request.app[STORE], event, request.app[SETTINGS])
    return web.Response(status=204)
