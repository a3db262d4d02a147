"""What a signed Twilio webhook must also carry before we believe it.

The signature alone is not enough: Twilio signs the URL followed by every key
and value *without separators*, so text can be moved across a field boundary
(part of ``NumMedia`` into ``MessageSid``'s value, say) and the signature still
matches. A captured webhook could then be replayed with a new message id. So a
message id must have Twilio's exact shape (``SM``/``MM`` + 32 hex digits:
https://www.twilio.com/docs/api/errors/90001), the account must be ours, and
the fields every WhatsApp webhook carries must be there; anything else is a 400
before anything is stored.

A status callback's ``?key=`` is ours, but it travels in a URL: it binds the
callback to an outbox entry only when that entry's provider sid is the
callback's ``MessageSid``, or, before the sid is known, when the entry's
recipient is the callback's ``To``.
"""

from __future__ import annotations

import json
import re

from aiohttp import web
from multidict import MultiDict

from bot.core.errors import ValidationError
from bot.core.phones import normalize, variants
from bot.core.ports import Store
from bot.settings import Settings

__all__ = ["SIMULATOR_ACCOUNT", "account_sid", "bound_key", "check_inbound", "check_status"]

MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")
# The account the simulator signs as when no Twilio credentials are configured.
SIMULATOR_ACCOUNT = "AC" + "0" * 32
# Present on every WhatsApp message webhook (Twilio's "messaging webhook request" parameters).
_INBOUND_FIELDS = ("AccountSid", "From", "To", "Body", "NumMedia", "ApiVersion")
# Present on every status callback.
_STATUS_FIELDS = ("AccountSid", "From", "To", "MessageStatus", "ApiVersion")


def account_sid(settings: Settings) -> str:
    """The account our webhooks must name."""
    return settings.twilio_account_sid or SIMULATOR_ACCOUNT


def _refuse(message: str) -> web.HTTPBadRequest:
    body = json.dumps({"error": {"code": "bad_webhook", "message": message}})
    return web.HTTPBadRequest(text=body, content_type="application/json")


def _check_common(form: MultiDict[str], fields: tuple[str, ...], settings: Settings) -> str:
    missing = [name for name in fields if name not in form]
    if missing:
        raise _refuse(f"missing fields: {', '.join(missing)}")
    if any(len(form.getall(name)) > 1 for name in ("MessageSid", *fields)):
        raise _refuse("a field appears twice")
    if form["AccountSid"] != account_sid(settings):
        raise _refuse("AccountSid is not this account")
    sid = form.get("MessageSid", "")
    if not MESSAGE_SID.fullmatch(sid):
        raise _refuse("MessageSid is not a Twilio message sid")
    return sid


def check_inbound(form: MultiDict[str], settings: Settings) -> str:
    """The message sid of a well-formed WhatsApp message webhook; else a 400."""
    sid = _check_common(form, _INBOUND_FIELDS, settings)
    for alias in ("SmsMessageSid", "SmsSid"):
        if alias in form and form.getall(alias) != [sid]:
            raise _refuse(f"{alias} differs from MessageSid")
    if not form["From"].startswith("whatsapp:") or not form["To"].startswith("whatsapp:"):
        raise _refuse("From and To must be WhatsApp addresses")
    if not form["NumMedia"].isdigit():
        raise _refuse("NumMedia is not a number")
    return sid


def check_status(form: MultiDict[str], settings: Settings) -> str:
    """The message sid of a well-formed status callback; else a 400."""
    return _check_common(form, _STATUS_FIELDS, settings)


async def bound_key(store: Store, key: str | None, sid: str, to: str) -> str | None:
    """``key`` if its outbox entry is the message this callback is about, else None."""
    if not key:
        return None
    entry = await store.outbox.get(key)
    if entry is None:
        return None
    if entry.provider_sid is not None:
        return key if entry.provider_sid == sid else None
    try:
        recipient = normalize(to)
    except ValidationError:
        return None
    return key if recipient in variants(entry.phone) else None
