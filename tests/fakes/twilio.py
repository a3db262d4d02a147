"""A local fake of the parts of Twilio we use, as strict as the real service.

Each behaviour below is Twilio's documented one; the page it comes from is named.

Messages API (``POST/GET /2010-04-01/Accounts/{AccountSid}/Messages.json``,
``GET …/Messages/{Sid}.json``; twilio.com/docs/messaging/api/message-resource;
the list, with the patients' messages in it, is :mod:`tests.fakes.twilio_inbound`'s):

- HTTP Basic auth with the Account SID and Auth Token, and the path's account
  must be the one authenticated; otherwise ``401`` with code 20003
  (twilio.com/docs/errors/20003; twilio/twilio-python ``twilio/base/exceptions.py``
  reads ``code``, ``message``, ``more_info`` and ``status`` from the body).
- Every error body is ``{"code", "message", "more_info", "status"}``, ``more_info``
  being ``https://www.twilio.com/docs/errors/{code}`` (same sources).
- ``To`` and ``From`` are required (21604, 21603) and, on WhatsApp, are
  ``whatsapp:+E164`` (21211, 21212); a ``From`` that is not one of our senders
  is 63007 (twilio.com/docs/errors/63007) when :attr:`FakeTwilio.senders` is set.
- ``Body`` or ``ContentSid`` is required: 21619 (twilio.com/docs/errors/21619).
- ``ContentSid`` is ``HX`` + 32 hex digits and must name a known template: 21655
  (twilio.com/docs/errors/21655). ``ContentVariables`` is a JSON object string
  of at most 100 entries whose values are non-empty strings with no newline, no
  tab and no more than four consecutive spaces: 21656 (twilio.com/docs/errors/21656;
  twilio.com/docs/content/send-templates-created-with-the-content-template-builder).
- ``StatusCallback`` must be an absolute http(s) URL: 21609 (twilio.com/docs/errors/21609).
  ``ValidityPeriod`` is 1..36000 seconds (message-resource page).
- An accepted create answers ``201`` with ``status: queued`` (``accepted`` only
  with a Messaging Service, which we do not use) and an ``SM`` + 32 hex sid
  (twilio.com/docs/messaging/guides/outbound-message-logging).
- What becomes of an accepted message later (its status callbacks, signed, possibly
  out of order and repeated; the WhatsApp failures that arrive only there) is
  :mod:`tests.fakes.twilio_status`, with the pages it follows.

Content API (``GET /v1/Content/{Sid}`` and ``GET /v1/Content/{Sid}/ApprovalRequests``;
twilio.com/docs/content/content-api-resources, twilio-python
``twilio/rest/content/v1/content/__init__.py`` and ``approval_fetch.py``): the
templates it knows (:meth:`FakeTwilio.add_template`), with their variables and
``twilio/quick-reply`` actions, and the WhatsApp approval (``status``,
``category``, ``rejection_reason``); 404 with code 20404 for any other sid.
``POST /v1/Content`` creates a ``twilio/list-picker`` within Twilio's limits
(:mod:`tests.fakes.twilio_content` names them and their page); refusals are
in :attr:`FakeTwilio.content_refused`. A list-picker sent outside the 24-hour
window fails with 63016, as free text does (twilio.com/docs/api/errors/63016).

Inbound messages (twilio.com/docs/messaging/guides/webhook-request): :meth:`FakeTwilio.receive`
makes the fake receive a patient's WhatsApp message or button tap and POST it,
signed, to the sender's incoming webhook with ``MessageSid``, ``From``, ``To``,
``WaId``, ``Body``, ``NumMedia`` with ``MediaContentType{N}``/``MediaUrl{N}``, and
for taps ``ButtonPayload``, ``ButtonText`` and ``OriginalRepliedMessageSid``
(Twilio may add fields without notice: ``extra``). It opens that number's
24-hour window. A list item tapped (``list_item=(id, item)``) comes with ``ListId``
and ``ListTitle`` (the item's id and text) and the item's text as ``Body``,
``MessageType`` ``interactive``: the field names Twilio's inbound webhook uses for
a list-picker choice, as we understand them; the webhook-request page we could
read does not list them, so our webhook also takes the id from ``ButtonPayload``. :meth:`FakeTwilio.compose` and :meth:`FakeTwilio.deliver` are its
two halves: the message reaching Twilio, and each POST of it (Twilio posts the
same message again on a retry, a fallback URL or a Console replay;
twilio.com/docs/usage/webhooks/webhooks-connection-overrides).

Where the webhooks go: the URLs Twilio calls are public (``https://digitaly.test/…``);
:meth:`FakeTwilio.route` maps that public base to the test server, as a reverse
proxy would, and the signature is computed on the public URL, as Twilio does.
Without a route, callbacks are only recorded in :attr:`FakeTwilio.callbacks`.

Synchronous failures are planned per call with :meth:`FakeTwilio.fail_next`:
``429`` (with Retry-After), ``5xx``, a Twilio error code in a 400, or ``drop``:
the message is created and then the connection is closed with no answer (the
"unknown outcome" case). ``drop_rate`` drops that share of creates at random;
``delay`` makes every create answer that many seconds late (after creating it).

The app is a route table (:meth:`FakeTwilio.app`): another module may add its
own routes to it (for example, listing inbound messages), as
:mod:`tests.fakes.twilio_content` does for the Content API. The request checks
and error bodies are in :mod:`tests.fakes.twilio_requests`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator
from yarl import URL

from tests.fakes.twilio_content import ContentApi, Template
from tests.fakes.twilio_inbound import ReceivedMessage, TwilioInbox, webhook_form
from tests.fakes.twilio_requests import invalid_create, twilio_error
from tests.fakes.twilio_status import (
    AsyncFailure,
    SentMessage,
    callback_statuses,
    later_failure,
    status_form,
)

__all__ = [
    "ACCOUNT_SID",
    "AUTH_TOKEN",
    "AsyncFailure",
    "Callback",
    "Failure",
    "FakeTwilio",
    "Inbound",
    "SentMessage",
    "Template",
    "twilio_error",
]

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "secret-token"

_MESSAGES = "/2010-04-01/Accounts/{account}/Messages"


@dataclass
class Failure:
    kind: str  # "429", "500", "503", "drop", or "error"
    retry_after: int = 1
    code: int = 0


@dataclass
class Callback:
    """A webhook request the fake made (or would have made, without a route)."""

    url: str
    form: dict[str, str]
    answer: int | None = None  # our HTTP status; None when not delivered
    content_type: str | None = None  # our answer's (TwiML for an inbound message)
    text: str | None = None  # our answer's body


@dataclass
class Inbound:
    sid: str
    form: dict[str, str]
    received_at: datetime


@dataclass
class FakeTwilio:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    messages: list[SentMessage] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    planned: list[Failure] = field(default_factory=list)
    async_failures: list[AsyncFailure] = field(default_factory=list)
    templates: dict[str, Template] = field(default_factory=dict)
    callbacks: list[Callback] = field(default_factory=list)
    content_reads: Counter[str] = field(default_factory=Counter)  # Content API GETs per path
    content_refused: list[str] = field(default_factory=list)  # why each create was refused
    inbound: list[Inbound] = field(default_factory=list)
    last_inbound: dict[str, datetime] = field(default_factory=dict)  # E.164 -> when
    senders: set[str] = field(default_factory=set)  # empty: any well-formed From
    delay: float = 0.0
    drop_rate: float = 0.0
    disorder: float = 0.0  # share of messages whose callbacks come shuffled, one twice
    callback_delay: float = 0.01  # seconds between a message's callbacks
    read: bool = True  # delivered messages are then read
    incoming_url: str = "https://digitaly.test/webhooks/twilio/messages"
    rng: random.Random = field(default_factory=lambda: random.Random(4))
    inbox: TwilioInbox = field(default_factory=TwilioInbox)  # patients' messages, the list
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _routes: dict[str, str] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _session: aiohttp.ClientSession | None = None

    def __post_init__(self) -> None:
        self.inbox.on_receive = self._saw_inbound

    def _saw_inbound(self, phone: str, when: datetime) -> None:
        """A patient wrote at ``when``: their 24-hour window runs from their newest message."""
        self.last_inbound[phone] = max(when, self.last_inbound.get(phone, when))

    # --- What tests set up and read ---------------------------------------------------------

    def keys(self) -> Counter[str]:
        """How many messages were created per outbox key (from the status callback URL)."""
        return Counter(_key(m.form) for m in self.messages)

    def sids(self) -> dict[str, str]:
        """The Message SID created for each outbox key (the last one if several)."""
        return {_key(m.form): m.sid for m in self.messages}

    def fail_next(self, kind: str, *, times: int = 1, retry_after: int = 1, code: int = 0) -> None:
        self.planned.extend(Failure(kind, retry_after, code) for _ in range(times))

    def fail_async(self, code: int, **how: Any) -> AsyncFailure:
        """Accepted messages then fail with ``code`` in their callbacks (see AsyncFailure)."""
        failure = AsyncFailure(code, **how)
        self.async_failures.append(failure)
        return failure

    def add_template(self, template: Template) -> Template:
        self.templates[template.sid] = template
        return template

    def route(self, public_base: str, actual_base: str) -> None:
        """Deliver webhooks for ``public_base`` to ``actual_base`` (a reverse proxy's job)."""
        self._routes[public_base.rstrip("/")] = actual_base.rstrip("/")

    def statuses(self, sid: str) -> list[str]:
        """The statuses posted for one message, in the order they were posted."""
        return [c.form["MessageStatus"] for c in self.callbacks if c.form["MessageSid"] == sid]

    async def settle(self) -> None:
        """Wait until every callback the fake has started is posted."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        await self.settle()
        if self._session is not None:
            await self._session.close()

    def compose(
        self,
        phone: str,
        body: str = "",
        *,
        to: str = "whatsapp:+5511930000001",
        button: tuple[str, str] | None = None,  # (payload, text)
        list_item: tuple[str, str] | None = None,  # (id, item): a list-picker item tapped
        replied_to: str | None = None,
        at: datetime | None = None,
        media: tuple[str, ...] = (),  # content types of attached files
        extra: dict[str, str] | None = None,  # fields Twilio adds without notice
    ) -> Inbound:
        """A patient writes (or taps a button): Twilio has it in the account, not posted yet."""
        sid = "SM" + secrets.token_hex(16)
        form = webhook_form(
            sid,
            phone,
            body,
            account_sid=self.account_sid,
            to=to,
            button=button,
            list_item=list_item,
            replied_to=replied_to,
            media=media,
            extra=extra,
        )
        when = at or self.now()
        inbound = Inbound(sid, form, when)
        self.inbound.append(inbound)
        self.inbox.received.append(ReceivedMessage(sid, form, when.replace(microsecond=0)))
        self._saw_inbound(phone, when)
        return inbound

    async def deliver(self, inbound: Inbound) -> Callback:
        """POST a received message, signed, to our webhook. Again for one posted before:
        Twilio does so on a retry (``rc``), through a fallback URL, or when someone replays
        it from the Console (twilio.com/docs/usage/webhooks/webhooks-connection-overrides)."""
        return await self._post(self.incoming_url, inbound.form)

    async def receive(self, phone: str, body: str = "", **how: Any) -> Callback:
        """A patient writes (or taps a button): stored and POSTed, signed, to our webhook
        (the keywords are :meth:`compose`'s)."""
        return await self.deliver(self.compose(phone, body, **how))

    # --- The HTTP API ----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._authenticate])
        app.router.add_post(_MESSAGES + ".json", self._create)
        self.inbox.mount(app, lambda: [self._resource(m) for m in self.messages])
        app.router.add_get(_MESSAGES + "/{sid}.json", self._fetch)
        ContentApi(
            self.account_sid, self.templates, self.content_reads, self.content_refused
        ).add_routes(app)
        return app

    @web.middleware
    async def _authenticate(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        expected = f"{self.account_sid}:{self.auth_token}"
        if _basic(request.headers.get("Authorization", "")) != expected:
            return twilio_error(20003, 401)
        account = request.match_info.get("account")
        if account is not None and account != self.account_sid:
            return twilio_error(20003, 401)
        response: web.StreamResponse = await handler(request)
        return response

    async def _create(self, request: web.Request) -> web.StreamResponse:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        record: dict[str, Any] = {
            "form": form,
            "auth": request.headers.get("Authorization", ""),
            "at": time.monotonic(),
            "key": _key(form),
            "status": 201,
        }
        self.requests.append(record)
        if (invalid := invalid_create(form, self.senders, self.templates)) is not None:
            record["status"] = invalid.status
            return invalid
        failure = self.planned.pop(0) if self.planned else None
        if failure is None and self.drop_rate and self.rng.random() < self.drop_rate:
            failure = Failure("drop")
        if failure is not None:  # 0: no answer at all
            kinds = {"drop": 0, "error": 400}
            record["status"] = kinds[failure.kind] if failure.kind in kinds else int(failure.kind)
        if failure and failure.kind == "429":
            response = twilio_error(20429, 429, "Too Many Requests")
            response.headers["Retry-After"] = str(failure.retry_after)
            return response
        if failure and failure.kind in {"500", "503"}:
            return twilio_error(20500, int(failure.kind), "Internal Server Error")
        if failure and failure.kind == "error":
            return twilio_error(failure.code, 400)
        message = SentMessage(
            sid="SM" + secrets.token_hex(16),
            account_sid=self.account_sid,
            form=form,
            created_at=self.now(),
        )
        self.messages.append(message)
        self._start_callbacks(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        if failure and failure.kind == "drop":
            assert request.transport is not None
            request.transport.close()  # created, but the caller never hears about it
            raise web.HTTPInternalServerError
        return web.json_response(self._resource(message, "queued"), status=201)

    async def _fetch(self, request: web.Request) -> web.Response:
        message = next((m for m in self.messages if m.sid == request.match_info["sid"]), None)
        if message is None:
            return twilio_error(20404, 404)
        return web.json_response(self._resource(message))

    # --- Status callbacks ------------------------------------------------------------------

    def _start_callbacks(self, message: SentMessage) -> None:
        failure = later_failure(
            message, self.templates, self.last_inbound, self.async_failures, self.rng
        )
        if failure is not None:
            message.error_code = failure[1]
        message.status, statuses = callback_statuses(failure, self.read, self.disorder, self.rng)
        url = message.form.get("StatusCallback")
        if not url:
            return
        task = asyncio.get_running_loop().create_task(self._post_statuses(message, url, statuses))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post_statuses(
        self, message: SentMessage, url: str, statuses: list[tuple[str, int | None]]
    ) -> None:
        for status, code in statuses:
            await asyncio.sleep(self.callback_delay)
            await self._post(url, status_form(message, status, code))

    async def _post(self, url: str, form: dict[str, str]) -> Callback:
        """POST ``form`` to a public URL, signed on that URL, through :meth:`route`."""
        callback = Callback(url, form)
        self.callbacks.append(callback)
        actual = next(
            (real + url[len(public) :] for public, real in self._routes.items()
             if url.startswith(public)),
            None,
        )  # fmt: skip
        if actual is None:
            return callback
        signature = RequestValidator(self.auth_token).compute_signature(url, form)
        if self._session is None:
            self._session = aiohttp.ClientSession()
        # encoded=True: the URL goes out byte for byte as we were given it, as Twilio sends it.
        async with self._session.post(
            URL(actual, encoded=True), data=form, headers={"X-Twilio-Signature": signature}
        ) as response:
            callback.text = await response.text()
            callback.answer = response.status
            callback.content_type = response.content_type
        return callback

    def _resource(self, message: SentMessage, status: str | None = None) -> dict[str, Any]:
        return {
            "sid": message.sid,
            "account_sid": message.account_sid,
            "to": message.form.get("To"),
            "from": message.form.get("From"),
            "body": message.form.get("Body", ""),
            "status": status or message.status,
            "date_created": format_datetime(message.created_at),
            "error_code": None if status else message.error_code,
            "error_message": None,
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{message.account_sid}/Messages/{message.sid}.json",
        }


def _basic(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(token, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def _key(form: dict[str, str]) -> str:
    query = parse_qs(urlsplit(form.get("StatusCallback", "")).query)
    return query.get("key", [""])[0]
