"""Posting to our webhooks as Twilio does: form-encoded, signed with the auth token.

The fields of an inbound message are :func:`tests.fakes.twilio_inbound.webhook_form`'s
(the fake Twilio posts the same); status callbacks' are :func:`status_form` here.
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp.test_utils import TestClient
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from bot.settings import Settings

PUBLIC = "https://digitaly.test"
TOKEN = "test-auth-token"

__all__ = [
    "ACCOUNT",
    "PUBLIC",
    "TOKEN",
    "message_sid",
    "post_signed",
    "signature",
    "status_form",
    "with_twilio",
]

ACCOUNT = "AC" + "0" * 32


def with_twilio(settings: Settings, api_base_url: str, token: str = TOKEN) -> Settings:
    """``settings`` on the test Twilio account with ``token``, our public URL, and Twilio's
    API at ``api_base_url`` (the fake's, or a closed port to stay offline)."""
    return settings.model_copy(
        update={
            "twilio_account_sid": ACCOUNT,
            "twilio_auth_token": SecretStr(token),
            "public_base_url": PUBLIC,
            "twilio_api_base_url": api_base_url,
        }
    )


def signature(path_qs: str, form: dict[str, str], token: str = TOKEN, base: str = PUBLIC) -> str:
    return str(RequestValidator(token).compute_signature(base + path_qs, form))


async def post_signed(
    client: TestClient[Any, Any], path_qs: str, form: dict[str, str], **kwargs: Any
) -> Any:
    headers = {"X-Twilio-Signature": signature(path_qs, form, **kwargs)}
    return await client.post(path_qs, data=form, headers=headers)


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
