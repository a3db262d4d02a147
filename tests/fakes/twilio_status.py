"""What becomes of a message the fake Twilio accepted: its later statuses and failures.

Used by :class:`tests.fakes.twilio.FakeTwilio`. Each behaviour is Twilio's
documented one; the page it comes from is named.

- Twilio posts no callback for the initial status; later statuses are POSTed to
  the message's ``StatusCallback``, form-encoded and signed with
  ``X-Twilio-Signature`` (HMAC-SHA1 of the URL plus the sorted fields, keyed with
  the Auth Token: twilio.com/docs/usage/webhooks/webhooks-security and
  twilio-python ``twilio/request_validator.py``), with ``MessageSid``,
  ``MessageStatus``, ``ErrorCode``, ``ChannelPrefix``… — ``sent`` → ``delivered``
  → ``read``, or ``failed``/``undelivered`` with an ``ErrorCode``, possibly out of
  order and more than once
  (twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks).
  The fake sends them asynchronously after the answer; :attr:`FakeTwilio.disorder`
  is the share of messages whose callbacks are shuffled and one of them repeated.
- Most WhatsApp failures are asynchronous: the create is ``201 queued`` and the
  failure comes in the callback. :meth:`FakeTwilio.fail_async` injects them by
  share and code (:class:`AsyncFailure`). Free text (``Body`` without
  ``ContentSid``) to a number whose last inbound message is older than 24 hours,
  or that never wrote, fails so with 63016 (twilio.com/docs/errors/63016;
  twilio.com/docs/whatsapp/key-concepts); so does a list-picker, which opens no
  conversation either (twilio.com/docs/api/errors/63016). A template that is not
  approved fails with 63040 (rejected), 63041 (paused) or 63042 (disabled);
  variables that are not the template's fail with 63028
  (twilio.com/docs/api/errors/63040 … 63042, 63028).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.fakes.twilio_content import LIST_PICKER, Template
from tests.fakes.twilio_requests import variables

__all__ = [
    "WINDOW",
    "AsyncFailure",
    "SentMessage",
    "callback_statuses",
    "later_failure",
    "status_form",
]

WINDOW = timedelta(hours=24)

# What each non-approved template status makes of a send (asynchronously).
_TEMPLATE_FAILURES = {"rejected": 63040, "paused": 63041, "disabled": 63042}

Status = tuple[str, int | None]  # MessageStatus, ErrorCode


@dataclass
class SentMessage:
    sid: str
    account_sid: str
    form: dict[str, str]
    created_at: datetime
    status: str = "queued"
    error_code: int | None = None


@dataclass
class AsyncFailure:
    """A share of accepted messages that fail later, in their status callbacks."""

    code: int
    share: float = 1.0
    status: str = "failed"  # or "undelivered"
    times: int | None = None  # at most this many messages (None: no limit)
    to: str | None = None  # only to this number (E.164), if set


def later_failure(
    message: SentMessage,
    templates: dict[str, Template],
    last_inbound: dict[str, datetime],
    planned: list[AsyncFailure],
    rng: random.Random,
) -> tuple[str, int] | None:
    """How an accepted message fails later (status, ErrorCode); None when it arrives."""
    form = message.form
    phone = form["To"].removeprefix("whatsapp:")
    last = last_inbound.get(phone)
    closed = last is None or message.created_at - last > WINDOW
    template = templates.get(form.get("ContentSid", ""))
    # Free text and a list-picker go only inside the window: neither opens a conversation.
    if (template is None or template.kind == LIST_PICKER) and closed:
        return "failed", 63016
    if template is not None:
        if template.status in _TEMPLATE_FAILURES:
            return "failed", _TEMPLATE_FAILURES[template.status]
        sent = variables(form.get("ContentVariables", "{}")) or {}
        if set(sent) != set(template.variables):
            return "failed", 63028
    for failure in planned:
        if failure.to not in {None, phone} or failure.times == 0:
            continue
        if rng.random() < failure.share:
            if failure.times is not None:
                failure.times -= 1
            return failure.status, failure.code
    return None


def callback_statuses(
    failure: tuple[str, int] | None, read: bool, disorder: float, rng: random.Random
) -> tuple[str, list[Status]]:
    """The message's final status, and the statuses its callbacks post, in posting order."""
    if failure is None:
        statuses: list[Status] = [("sent", None), ("delivered", None)]
        if read:
            statuses.append(("read", None))
    else:
        statuses = [failure]
    final = statuses[-1][0]
    if disorder and rng.random() < disorder:
        statuses.append(rng.choice(statuses))
        rng.shuffle(statuses)
    return final, statuses


def status_form(message: SentMessage, status: str, code: int | None) -> dict[str, str]:
    """The fields of one status callback for ``message``."""
    form = {
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "AccountSid": message.account_sid,
        "From": message.form["From"],
        "To": message.form["To"],
        "MessageStatus": status,
        "SmsStatus": status,
        "ChannelPrefix": "whatsapp",
        "ApiVersion": "2010-04-01",
    }
    if code is not None:
        form |= {"ErrorCode": str(code), "ErrorMessage": f"error {code}"}
    return form
