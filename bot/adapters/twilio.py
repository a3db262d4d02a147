"""The Messenger port over Twilio's Messages API (twilio-python, async).

One attempt per call and no retries of the SDK's own: a retried POST after a
5xx can create the message twice. What happened is reported, not raised:

- 2xx: ACCEPTED with the Message SID;
- 4xx, and a connection that could not even be opened: REJECTED (nothing was
  created), with Twilio's error code and any ``Retry-After``;
- 5xx, a timeout, a connection lost after the request left: UNKNOWN (Twilio
  may have created it); the outbox reconciles with :meth:`find_sent` first.

Offered times (``choices``) go as a ``twilio/list-picker``: a content created
for this one message through the Content API (``POST /v1/Content``), then sent
by its ``ContentSid``. Created per message, not kept as a pre-made content with
variables, because a list-picker's number of items is part of its structure
(variables fill an item's text, not how many there are), it can never be
approved for WhatsApp, so a pre-made one buys nothing, and it only goes inside
the 24-hour window, which the outbox has already checked for this free-form
send (twilio.com/docs/content/twiliolist-picker). If the content cannot be
created, the numbered text goes instead: the patient can answer either way.
"""

from __future__ import annotations

import base64
import contextvars
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from aiohttp import (
    ClientConnectorError,
    ClientError,
    ClientSession,
    ClientTimeout,
    ConnectionTimeoutError,
)
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from twilio.rest.content.v1.content import ContentList

from bot.core.ports import OutboundMessage, ProviderMessage, SendOutcome, SendResult
from bot.settings import Settings

__all__ = ["LIST_BUTTON", "HttpClient", "TwilioMessenger", "list_picker"]

log = logging.getLogger(__name__)

_MAX_VALIDITY_SECONDS = 36_000  # Twilio's ValidityPeriod range is 1..36000
_LOOKUP_LIMIT = 50  # newest messages to one number read when reconciling
_RECEIVED_LIMIT = 5_000  # inbound messages read per sender and reconciliation
_PAGE_SIZE = 500  # Twilio allows up to 1,000 per page
LIST_BUTTON = "Ver horários"  # the list's button: the patient taps it to open the list

# Headers of the last response seen by this task (Retry-After is not on TwilioRestException).
_headers: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "twilio_response_headers", default=None
)


class HttpClient(AsyncHttpClient):  # type: ignore[misc]
    """One pooled aiohttp session with a total timeout; no retries; logs nothing.

    It extends twilio-python's abstract ``twilio.http.AsyncHttpClient`` (whose
    ``__init__(logger, is_async, timeout)`` only stores them), not the concrete
    ``AsyncTwilioHttpClient``: that one takes ``(pool_connections, trace_configs,
    timeout, logger, …)`` and opens a session of its own in ``__init__``, which a
    subclass replacing ``self.session`` would leave open. Keywords, so that no
    argument can land in another's place.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__(logger=log, is_async=True, timeout=timeout)
        self.session = ClientSession(timeout=ClientTimeout(total=timeout))

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's signature; the session's applies
        allow_redirects: bool = False,
    ) -> Response:
        headers = dict(headers or {})
        if auth is not None:  # by hand: aiohttp's BasicAuth is deprecated
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        # The Content API takes JSON (twilio-python sets this header for it).
        as_json = headers.get("Content-Type") == "application/json"
        async with self.session.request(
            method.upper(),
            url,
            params=params,  # type: ignore[arg-type]
            data=None if as_json else data,
            json=data if as_json else None,
            headers=headers,
            allow_redirects=allow_redirects,
        ) as response:
            text = await response.text()
        _headers.set(response.headers)
        return Response(response.status, text, response.headers)

    async def close(self) -> None:
        await self.session.close()


class TwilioMessenger:
    """Sends WhatsApp messages through Twilio; create it inside the running loop."""

    def __init__(self, settings: Settings) -> None:
        assert settings.twilio_account_sid
        assert settings.twilio_auth_token
        self.http = HttpClient(settings.sending.request_timeout.total_seconds())
        self.client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            http_client=self.http,
        )
        self.client.api.base_url = settings.twilio_api_base_url.rstrip("/")
        self.client.content.base_url = settings.twilio_api_base_url.rstrip("/")
        self.public_base_url = (settings.public_base_url or "").rstrip("/")

    async def aclose(self) -> None:
        await self.http.close()

    async def send(self, message: OutboundMessage) -> SendResult:
        params: dict[str, Any] = {"to": "whatsapp:" + message.to, "from_": message.sender}
        if message.content_sid:
            params["content_sid"] = message.content_sid
            if message.variables:
                params["content_variables"] = json.dumps(message.variables, ensure_ascii=False)
        elif message.choices and (listed := await self._list_picker(message)):
            params["content_sid"] = listed
        else:
            params["body"] = message.text
        if self.public_base_url:
            params["status_callback"] = (
                f"{self.public_base_url}/webhooks/twilio/status?key={quote(message.key, safe='')}"
            )
        if message.valid_for_seconds is not None:
            params["validity_period"] = max(
                1, min(_MAX_VALIDITY_SECONDS, message.valid_for_seconds)
            )
        _headers.set(None)
        try:
            created = await self.client.messages.create_async(**params)
        except TwilioRestException as exc:
            return _from_error(exc)
        except (ClientConnectorError, ConnectionTimeoutError) as exc:
            # The connection was never made: the request did not leave.
            return SendResult(SendOutcome.REJECTED, detail=f"connect failed: {type(exc).__name__}")
        except (TimeoutError, ClientError, TwilioException, ValueError) as exc:
            return SendResult(SendOutcome.UNKNOWN, detail=f"no answer: {type(exc).__name__}")
        return SendResult(SendOutcome.ACCEPTED, provider_sid=created.sid, http_status=201)

    async def _list_picker(self, message: OutboundMessage) -> str | None:
        """A list-picker content for this message's choices; None (the text goes) if refused."""
        request = ContentList.ContentCreateRequest(list_picker(message))
        try:
            created = await self.client.content.v1.contents.create_async(request)
        except (TwilioException, ClientError, TimeoutError, ValueError) as exc:
            log.warning("list-picker not created", extra={"reason": type(exc).__name__})
            return None
        return str(created.sid) if created.sid else None

    async def find_sent(self, to: str, sender: str, since: datetime) -> list[ProviderMessage]:
        # No DateSent filter: a message still queued at Twilio has no date_sent yet.
        listed = await self.client.messages.list_async(
            to="whatsapp:" + to, from_=sender, limit=_LOOKUP_LIMIT
        )
        return [
            ProviderMessage(
                sid=m.sid,
                to=(m.to or "").removeprefix("whatsapp:"),
                sender=m.from_ or "",
                created_at=m.date_created,
                body=m.body or "",
            )
            for m in listed
            if m.date_created is not None and m.date_created >= since
        ]

    async def received(self, to: str, since: datetime) -> list[ProviderMessage]:
        # Twilio filters DateSent by whole GMT days and lists newest first, all pages
        # through next_page_uri (the SDK follows them): the exact bound is applied here.
        listed = await self.client.messages.list_async(
            to=to, date_sent_after=since, limit=_RECEIVED_LIMIT, page_size=_PAGE_SIZE
        )
        found = [
            ProviderMessage(
                sid=m.sid,
                to=m.to or "",
                sender=m.from_ or "",
                created_at=m.date_sent or m.date_created,
                body=m.body or "",
                media_count=int(m.num_media or 0),
            )
            for m in listed
            if (m.direction or "") == "inbound"
            and (m.date_sent or m.date_created) is not None
            and (m.date_sent or m.date_created) >= since
        ]
        return sorted(found, key=lambda m: (m.created_at, m.sid))


def list_picker(message: OutboundMessage) -> dict[str, Any]:
    """The Content API's create body for ``message``'s choices (its text as the body)."""
    items = [{"id": i, "item": item, "description": d} for i, item, d in message.choices]
    return {
        "friendly_name": f"digitaly_offer_{message.key}"[:64],
        "language": "pt_BR",
        "types": {
            "twilio/list-picker": {"body": message.text, "button": LIST_BUTTON, "items": items}
        },
    }


def _from_error(exc: TwilioRestException) -> SendResult:
    status = int(exc.status)
    code = int(exc.code) if exc.code and int(exc.code) != status else None
    if status >= 500:
        # Twilio may have created it before failing: reconcile, never resend blindly.
        return SendResult(
            SendOutcome.UNKNOWN, error_code=code, http_status=status, detail=f"http {status}"
        )
    return SendResult(
        SendOutcome.REJECTED,
        error_code=code or (20429 if status == 429 else None),
        http_status=status,
        retry_after=_retry_after(_headers.get()),
        detail=f"http {status}",
    )


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    value = (headers or {}).get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from Twilio; the backoff applies
