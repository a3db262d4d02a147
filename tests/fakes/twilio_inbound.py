"""The fake Twilio's inbound side: patients writing to our number, and the Messages list.

Mounted on the fake's aiohttp app by :meth:`TwilioInbox.mount`. What it models,
and where Twilio documents it:

- **The inbound message webhook** (twilio.com/docs/messaging/guides/webhook-request):
  a form-encoded POST to the number's URL with ``MessageSid``/``SmsMessageSid``,
  ``AccountSid``, ``From``/``To`` (``whatsapp:+…``), ``WaId``, ``ProfileName``,
  ``Body``, ``NumMedia``, and for a quick-reply tap ``ButtonPayload`` (the id set in
  the template) and ``ButtonText``; a reply to a message also carries
  ``OriginalRepliedMessageSid`` / ``OriginalRepliedMessageSender``. Signed with
  ``X-Twilio-Signature``: HMAC-SHA1 of the URL Twilio was given (our public
  URL) and every field sorted by name (twilio.com/docs/usage/webhooks/webhooks-security).
- **Giving up** (twilio.com/docs/usage/webhooks/webhooks-connection-overrides,
  twilio.com/docs/api/errors/11200 and /11205): a 5 s connect timeout, one retry
  (``rc=1``) after a failed connection, then the attempt is abandoned with 11205
  (11200 for an error answer). Nothing is queued for later: the message exists
  only in the account's Messages list.
- **Reading the list** (twilio.com/docs/messaging/api/message-resource, "Read
  multiple Message resources"): ``GET /2010-04-01/Accounts/{AccountSid}/Messages.json``
  behind HTTP Basic auth (401, code 20003, otherwise); filters ``To``, ``From``,
  ``DateSent``, ``DateSent<``, ``DateSent>`` on whole GMT days (on or before /
  on or after the date; the time a client sends is ignored); newest first;
  ``PageSize`` 1–1000 (default 50) and ``next_page_uri`` (with a ``PageToken``)
  until the last page, where it is null. An inbound Message resource has
  ``direction: inbound``, ``status: received``, ``date_sent``, ``num_media`` and
  no button or reply-context field.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from twilio.request_validator import RequestValidator

__all__ = ["ReceivedMessage", "TwilioInbox", "Webhook", "webhook_form"]

ACCOUNT_SID = "AC" + "0" * 32
OUR_NUMBER = "whatsapp:+5511930000001"
_CONNECT_TIMEOUT = 5.0
_TRIES = 2  # the first attempt and Twilio's default single retry
_MAX_PAGE = 1000


def webhook_form(
    sid: str,
    phone: str,
    body: str = "",
    *,
    account_sid: str = ACCOUNT_SID,
    to: str = OUR_NUMBER,
    button: tuple[str, str] | None = None,  # (payload id, label)
    list_item: tuple[str, str] | None = None,  # (id, item): a list-picker item tapped
    replied_to: str | None = None,
    media: tuple[str, ...] = (),  # content types of attached files
    extra: dict[str, str] | None = None,  # fields Twilio adds without notice
) -> dict[str, str]:
    """The fields Twilio posts to the incoming webhook for a patient's WhatsApp message
    (the one builder of them: the fake posts it, and tests that post by hand sign it)."""
    form = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": account_sid,
        "From": f"whatsapp:{phone}",
        "To": to,
        "WaId": phone.lstrip("+"),
        "ProfileName": "Paciente",
        "Body": button[1] if button and not body else body,
        "NumMedia": str(len(media)),
        "NumSegments": "1",
        "SmsStatus": "received",
        "MessageType": "button" if button else "text",
        "ApiVersion": "2010-04-01",
    }
    media_url = f"https://api.twilio.com/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media/ME"
    for n, kind in enumerate(media):
        form |= {f"MediaContentType{n}": kind, f"MediaUrl{n}": f"{media_url}{n:032x}"}
    if button is not None:
        form |= {"ButtonPayload": button[0], "ButtonText": button[1]}
    if list_item is not None:
        form |= {"ListId": list_item[0], "ListTitle": list_item[1]}
        form |= {"Body": body or list_item[1], "MessageType": "interactive"}
    if replied_to is not None:
        form |= {"OriginalRepliedMessageSid": replied_to, "OriginalRepliedMessageSender": to}
    return form | (extra or {})


@dataclass(frozen=True)
class Webhook:
    """Where the number's inbound messages go: the URL Twilio signs (our public one), where
    it actually connects (a test's loopback address), and the account's auth token."""

    public_url: str
    connect_url: str
    auth_token: str


@dataclass
class ReceivedMessage:
    sid: str
    form: dict[str, str]  # the webhook's fields
    date_sent: datetime
    attempts: int = 0
    delivered: bool = False
    error_code: int | None = None  # 11205 connection failed, 11200 error answer

    def resource(self, account_sid: str) -> dict[str, Any]:
        """The Message resource Twilio lists for it."""
        return {
            "sid": self.sid,
            "account_sid": account_sid,
            "to": self.form["To"],
            "from": self.form["From"],
            "body": self.form.get("Body", ""),
            "status": "received",
            "direction": "inbound",
            "num_media": self.form.get("NumMedia", "0"),
            "num_segments": "1",
            "date_created": format_datetime(self.date_sent),
            "date_sent": format_datetime(self.date_sent),
            "date_updated": format_datetime(self.date_sent),
            "error_code": None,
            "error_message": None,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{self.sid}.json",
        }


@dataclass
class TwilioInbox:
    account_sid: str = ACCOUNT_SID
    auth_token: str | None = None  # when set, the list checks Basic auth
    webhook: Webhook | None = None
    received: list[ReceivedMessage] = field(default_factory=list)
    # Called with (phone, when) for every patient message, so the fake's 24-hour window sees it.
    on_receive: Callable[[str, datetime], None] = field(default=lambda phone, at: None, repr=False)
    _outbound: Callable[[], list[dict[str, Any]]] = field(default=lambda: [], repr=False)

    def mount(self, app: web.Application, outbound: Callable[[], list[dict[str, Any]]]) -> None:
        """Serve the Messages list on ``app``: ``outbound`` gives the fake's sent resources."""
        self._outbound = outbound
        app.router.add_get("/2010-04-01/Accounts/{account}/Messages.json", self._list)

    async def receive(
        self, phone: str, body: str = "", *, at: datetime | None = None, **how: Any
    ) -> ReceivedMessage:
        """A patient's message reaches Twilio, which posts it to our webhook (if it can);
        ``how`` takes :func:`webhook_form`'s keywords (``button``, ``replied_to``…)."""
        sid = "SM" + secrets.token_hex(16)
        form = webhook_form(sid, phone, body, account_sid=self.account_sid, **how)
        message = ReceivedMessage(sid, form, (at or datetime.now(UTC)).replace(microsecond=0))
        self.received.append(message)
        self.on_receive(phone, message.date_sent)
        await self._deliver(message)
        return message

    async def _deliver(self, message: ReceivedMessage) -> None:
        if self.webhook is None:
            message.error_code = 11205
            return
        hook = self.webhook
        signature = RequestValidator(hook.auth_token).compute_signature(
            hook.public_url, message.form
        )
        timeout = ClientTimeout(total=15.0, connect=_CONNECT_TIMEOUT)
        async with ClientSession(timeout=timeout) as session:
            for _ in range(_TRIES):
                message.attempts += 1
                try:
                    async with session.post(
                        hook.connect_url,
                        data=message.form,
                        headers={"X-Twilio-Signature": signature},
                    ) as answer:
                        message.delivered = answer.status < 400
                        message.error_code = None if message.delivered else 11200
                        return  # an answer, good or bad: Twilio does not retry on it
                except (ClientError, TimeoutError, OSError):
                    message.error_code = 11205
                    await asyncio.sleep(0.1)

    async def _list(self, request: web.Request) -> web.Response:
        if request.match_info["account"] != self.account_sid or not self._authorized(request):
            return _error(401, 20003, "Authenticate")
        query = request.query
        try:
            size = int(query.get("PageSize", "50"))
            offset = int(query.get("PageToken", "PA0")[2:])
        except ValueError:
            return _error(400, 20001, "Invalid PageSize or PageToken")
        if not 1 <= size <= _MAX_PAGE:
            return _error(400, 20001, f"PageSize must be between 1 and {_MAX_PAGE}")
        found = [r for r in self._resources() if _matches(r, query)]
        found.sort(key=lambda r: parsedate_to_datetime(r.get("date_sent") or r["date_created"]))
        found.reverse()  # newest first
        page = found[offset : offset + size]
        following = None
        if offset + size < len(found):
            params = {k: v for k, v in query.items() if k not in {"PageToken", "Page"}}
            params |= {"PageSize": str(size), "Page": str(offset // size + 1)}
            params["PageToken"] = f"PA{offset + size}"
            following = f"{request.path}?{urlencode(params)}"
        return web.json_response(
            {
                "messages": page,
                "next_page_uri": following,
                "page": offset // size,
                "page_size": size,
                "uri": str(request.rel_url),
            }
        )

    def _resources(self) -> list[dict[str, Any]]:
        inbound = [m.resource(self.account_sid) for m in self.received]
        return inbound + self._outbound()

    def _authorized(self, request: web.Request) -> bool:
        if self.auth_token is None:
            return True
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )


def _day(value: str) -> date:
    return date.fromisoformat(value[:10])  # whole GMT days: a time after the date is ignored


def _matches(resource: dict[str, Any], query: Any) -> bool:
    if "To" in query and resource.get("to") != query["To"]:
        return False
    if "From" in query and resource.get("from") != query["From"]:
        return False
    stamp = resource.get("date_sent") or resource.get("date_created")
    if stamp is None:
        return not any(name in query for name in ("DateSent", "DateSent>", "DateSent<"))
    sent = parsedate_to_datetime(stamp).astimezone(UTC).date()
    if "DateSent" in query and sent != _day(query["DateSent"]):
        return False
    if "DateSent>" in query and sent < _day(query["DateSent>"]):  # on or after that day
        return False
    return not ("DateSent<" in query and sent > _day(query["DateSent<"]))  # on or before
