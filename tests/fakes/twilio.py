"""A local fake of the part of Twilio's Messages REST API we use.

Records every request; failures are planned per call with :meth:`FakeTwilio.fail_next`:
``429`` (with Retry-After), ``5xx``, a Twilio error code in a 400, or ``drop``:
the message is created and then the connection is closed with no answer (the
"unknown outcome" case). ``drop_rate`` drops that share of creates at random;
``delay`` makes every create answer that many seconds late (after creating it).
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import web

from tests.fakes.twilio_inbound import TwilioInbox

__all__ = ["Failure", "FakeTwilio", "SentMessage"]


@dataclass
class SentMessage:
    sid: str
    account_sid: str
    form: dict[str, str]
    created_at: datetime
    status: str = "queued"


@dataclass
class Failure:
    kind: str  # "429", "500", "503", "drop", or "error"
    retry_after: int = 1
    code: int = 0


@dataclass
class FakeTwilio:
    messages: list[SentMessage] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    planned: list[Failure] = field(default_factory=list)
    delay: float = 0.0
    drop_rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(4))
    inbox: TwilioInbox = field(default_factory=TwilioInbox)  # patients' messages, the list

    def keys(self) -> Counter[str]:
        """How many messages were created per outbox key (from the status callback URL)."""
        return Counter(_key(m.form) for m in self.messages)

    def sids(self) -> dict[str, str]:
        """The Message SID created for each outbox key (the last one if several)."""
        return {_key(m.form): m.sid for m in self.messages}

    def fail_next(self, kind: str, *, times: int = 1, retry_after: int = 1, code: int = 0) -> None:
        self.planned.extend(Failure(kind, retry_after, code) for _ in range(times))

    def app(self) -> web.Application:
        app = web.Application()
        base = "/2010-04-01/Accounts/{account}"
        app.router.add_post(base + "/Messages.json", self._create)
        self.inbox.mount(app, lambda: [self._resource(m) for m in self.messages])
        app.router.add_get(base + "/Messages/{sid}.json", self._fetch)
        return app

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
        failure = self.planned.pop(0) if self.planned else None
        if failure is None and self.drop_rate and self.rng.random() < self.drop_rate:
            failure = Failure("drop")
        if failure is not None:  # 0: no answer at all
            kinds = {"drop": 0, "error": 400}
            record["status"] = kinds[failure.kind] if failure.kind in kinds else int(failure.kind)
        if failure and failure.kind == "429":
            return web.json_response(
                {"code": 20429, "message": "Too Many Requests", "status": 429},
                status=429,
                headers={"Retry-After": str(failure.retry_after)},
            )
        if failure and failure.kind in {"500", "503"}:
            return web.json_response(
                {"code": 30500, "message": "Internal error"}, status=int(failure.kind)
            )
        if failure and failure.kind == "error":
            return web.json_response(
                {"code": failure.code, "message": f"error {failure.code}", "status": 400},
                status=400,
            )
        message = SentMessage(
            sid="SM" + secrets.token_hex(16),
            account_sid=request.match_info["account"],
            form=form,
            created_at=datetime.now(UTC),
        )
        self.messages.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        if failure and failure.kind == "drop":
            assert request.transport is not None
            request.transport.close()  # created, but the caller never hears about it
            raise web.HTTPInternalServerError
        return web.json_response(self._resource(message), status=201)

    async def _fetch(self, request: web.Request) -> web.Response:
        message = next((m for m in self.messages if m.sid == request.match_info["sid"]), None)
        if message is None:
            return web.json_response({"code": 20404, "message": "not found"}, status=404)
        return web.json_response(self._resource(message))

    @staticmethod
    def _resource(message: SentMessage) -> dict[str, Any]:
        return {
            "sid": message.sid,
            "account_sid": message.account_sid,
            "to": message.form.get("To"),
            "from": message.form.get("From"),
            "body": message.form.get("Body", ""),
            "status": message.status,
            "date_created": format_datetime(message.created_at),
            "error_code": None,
            "error_message": None,
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{message.account_sid}/Messages/{message.sid}.json",
        }


def _key(form: dict[str, str]) -> str:
    query = parse_qs(urlsplit(form.get("StatusCallback", "")).query)
    return query.get("key", [""])[0]
