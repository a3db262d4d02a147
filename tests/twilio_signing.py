"""Posting to our webhooks as Twilio does: form-encoded, signed with the auth token."""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp.test_utils import TestClient
from twilio.request_validator import RequestValidator

PUBLIC = "https://digitaly.test"
TOKEN = "test-auth-token"

__all__ = [
    "ACCOUNT",
    "PUBLIC",
    "TOKEN",
    "inbound_form",
    "message_sid",
    "post_signed",
    "signature",
    "status_form",
]

ACCOUNT = "AC" + "0" * 32


def signature(path_qs: str, form: dict[str, str], token: str = TOKEN, base: str = PUBLIC) -> str:
    return str(RequestValidator(token).compute_signature(base + path_qs, form))


async def post_signed(
    client: TestClient[Any, Any], path_qs: str, form: dict[str, str], **kwargs: Any
) -> Any:
    headers = {"X-Twilio-Signature": signature(path_qs, form, **kwargs)}
    return await client.post(path_qs, data=form, headers=headers)


def inbound_form(sid: str, phone: str, body: str = "", **extra: str) -> dict[str, str]:
    """The fields Twilio posts for a WhatsApp message (and some it adds without notice)."""
    form = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": ACCOUNT,
        "From": f"whatsapp:{phone}",
        "To": "whatsapp:+5511930000001",
        "WaId": phone.lstrip("+"),
        "ProfileName": "Paciente",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    form.update(extra)
    return form


def message_sid(label: str) -> str:
    """A message sid of Twilio's shape (``SM`` + 32 hex), the same for the same label."""
    return "SM" + hashlib.sha256(label.encode()).hexdigest()[:32]


def status_form(sid: str, status: str, to: str, **extra: str) -> dict[str, str]:
    """The fields Twilio posts in a status callback for a WhatsApp message to ``to``."""
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": ACCOUNT,
        "From": "whatsapp:+5511930000001",
        "To": f"whatsapp:{to}",
        "ApiVersion": "2010-04-01",
        "ChannelPrefix": "whatsapp",
    }
    form.update(extra)
    return form
