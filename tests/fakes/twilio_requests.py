"""The fake Twilio's request checks and error answers, as Twilio's API gives them.

Error bodies: twilio.com/docs/errors/{code} and twilio-python ``twilio/base/exceptions.py``
(``code``, ``message``, ``more_info``, ``status``). The checks are listed in
:mod:`tests.fakes.twilio`'s docstring with their pages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from urllib.parse import urlsplit

from aiohttp import web

__all__ = ["invalid_create", "twilio_error", "variables"]

_WHATSAPP = re.compile(r"^whatsapp:\+[1-9]\d{6,14}$")
_CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
_FIVE_SPACES = "     "

# The message of each error code the fake answers, as Twilio's error dictionary words it.
_ERRORS = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    21211: "Invalid 'To' Phone Number",
    21212: "Invalid 'From' Phone Number",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21609: "Invalid StatusCallback URL",
    21619: "A text message body or media url must be specified.",
    21655: "The ContentSid is Invalid",
    21656: "The ContentVariables Parameter is invalid",
    21623: "ValidityPeriod must be between 1 and 36000",
    63007: "Twilio could not find a Channel with the specified From address",
}


def twilio_error(code: int, status: int, message: str | None = None) -> web.Response:
    """An error answer with the body twilio-python reads (code, message, more_info, status)."""
    body = {
        "code": code,
        "message": message or _ERRORS.get(code, f"error {code}"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status)


def invalid_create(
    form: dict[str, str], senders: set[str], templates: Collection[str]
) -> web.Response | None:
    """The synchronous 400 Twilio answers for a malformed create, if any."""
    to, sender = form.get("To"), form.get("From")
    if not to:
        return twilio_error(21604, 400)
    if not _WHATSAPP.match(to):
        return twilio_error(21211, 400, f"Invalid 'To' Phone Number: {to[:12]}…")
    if not sender:
        return twilio_error(21603, 400)
    if not _WHATSAPP.match(sender):
        return twilio_error(21212, 400)
    if senders and sender not in senders:
        return twilio_error(63007, 400)
    content_sid = form.get("ContentSid")
    if not form.get("Body") and not content_sid:
        return twilio_error(21619, 400)
    if content_sid is not None and (
        not _CONTENT_SID.match(content_sid) or content_sid not in templates
    ):
        return twilio_error(21655, 400)
    if "ContentVariables" in form and variables(form["ContentVariables"]) is None:
        return twilio_error(21656, 400)
    callback = form.get("StatusCallback")
    if callback is not None and urlsplit(callback).scheme not in {"http", "https"}:
        return twilio_error(21609, 400)
    validity = form.get("ValidityPeriod")
    if validity is not None and not (validity.isdigit() and 1 <= int(validity) <= 36_000):
        return twilio_error(21623, 400)
    return None


def variables(raw: str) -> dict[str, str] | None:
    """ContentVariables as Twilio accepts them; None when it would answer 21656."""
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict) or len(value) > 100:
        return None
    for item in value.values():
        if not isinstance(item, str) or not item.strip():
            return None
        if "\n" in item or "\t" in item or _FIVE_SPACES in item:
            return None
    return value
