"""Findings 5 and 6 of issue 17: malformed requests, and what every answer carries.

Through the real ``create_app``; the truncated body and the vanished client on
a real listening server, since what matters there is the connection itself.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import zlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from pydantic import SecretStr
from redis.asyncio import Redis

from bot.adapters.memory import MemoryQueue
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import QUEUE, TEMPLATE_CHECK
from tests.fakes.twilio_inbound import webhook_form
from tests.twilio_signing import message_sid, signature
from tests.web.conftest import Client, no_template_check, started
from tests.web.console import log_in

INBOUND = "/webhooks/twilio/messages"


def _no_errors(caplog: pytest.LogCaptureFixture) -> None:
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert loud == [], [r.getMessage() for r in loud]


@pytest.mark.parametrize("path", [INBOUND, "/console/login"])
async def test_a_body_that_does_not_decompress_is_400_without_a_traceback(
    client: Client, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    caplog.set_level(logging.WARNING)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Encoding": "gzip",
        "X-Twilio-Signature": "x",
    }
    response = await client.post(path, data=b"\x1f\x8b\x08\x00 this is not gzip", headers=headers)
    assert response.status == 400
    _no_errors(caplog)
    assert any(r.getMessage() == "malformed request" for r in caplog.records)


async def test_bytes_that_are_not_the_declared_charset_are_400(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for content_type in (
        "application/x-www-form-urlencoded",  # utf-8 by default
        "application/x-www-form-urlencoded; charset=no-such-charset",
    ):
        response = await client.post(
            "/console/login",
            data=b"email=\xff\xfe&password=x",
            headers={"Content-Type": content_type},
        )
        assert response.status == 400, content_type
    _no_errors(caplog)


async def test_a_signed_webhook_still_works_gzipped(client: Client) -> None:
    form = webhook_form(message_sid("gzipped"), "+5511900000041", "sim")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Encoding": "gzip",
        "X-Twilio-Signature": signature(INBOUND, form),
    }
    body = gzip.compress(urlencode(form).encode())
    assert (await client.post(INBOUND, data=body, headers=headers)).status == 200


async def _raw(server: Live, request: bytes, *, then_close: bool) -> bytes:
    reader, writer = await asyncio.open_connection(*server)
    writer.write(request)
    await writer.drain()
    if then_close:
        writer.close()
        await writer.wait_closed()
        return b""
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


Live = tuple[str, int]


@pytest.fixture
async def server(twilio_settings: Settings, redis: Redis) -> AsyncIterator[Live]:
    """The app served as ``digitaly web`` serves it (no test-only handler cancellation)."""
    app = create_app(
        twilio_settings, overrides={QUEUE: MemoryQueue(), TEMPLATE_CHECK: no_template_check}
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert site._server is not None
    sockets = getattr(site._server, "sockets", [])
    yield sockets[0].getsockname()[:2]
    await runner.cleanup()


async def test_a_client_gone_mid_body_is_dropped_quietly(
    server: Live, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    head = (
        f"POST {INBOUND} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\n"
    ).encode()
    for _ in range(5):
        await _raw(server, head + b"MessageSid=SM12", then_close=True)
    await asyncio.sleep(0.5)  # let the handlers see the connection go
    _no_errors(caplog)
    assert any(r.getMessage() == "client went away" for r in caplog.records)


async def test_a_badly_chunked_body_is_400(server: Live, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    request = (
        f"POST {INBOUND} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
        "zz\r\nnot a chunk\r\n0\r\n\r\n"
    ).encode()
    answer = await _raw(server, request, then_close=False)
    assert answer.startswith((b"HTTP/1.1 400", b"HTTP/1.0 400")), answer[:80]
    _no_errors(caplog)


# --- headers ------------------------------------------------------------------------------


async def test_pages_and_api_answers_are_not_cached_framed_or_scripted_inline(
    client: Client,
) -> None:
    cookie, _ = await log_in(client)
    for path in ("/console/login", "/console", "/console/atendimento", "/healthz", "/nope"):
        response = await client.get(path, headers=cookie)
        headers = response.headers
        assert headers["Cache-Control"] == "no-store", path
        assert headers["X-Frame-Options"] == "DENY", path
        csp = headers["Content-Security-Policy"]
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert script_src.split() == ["script-src", "'self'"], path
        assert "frame-ancestors 'none'" in csp, path
        assert headers["Referrer-Policy"] == "same-origin", path
        assert not any(ch.isdigit() for ch in headers["Server"]), headers["Server"]
    page = await (await client.get("/console", headers=cookie)).text()
    assert "<script>" not in page
    assert "<script " not in page.replace('<script src="', "")
    static = await client.get("/static/console.js")
    assert static.status == 200
    assert static.headers.get("Cache-Control") != "no-store"


async def test_metrics_needs_its_token_when_one_is_set(
    aiohttp_client: Any, twilio_settings: Settings, redis: Redis
) -> None:
    settings = twilio_settings.model_copy(update={"metrics_token": SecretStr("scrape-me")})
    overrides = {QUEUE: MemoryQueue(), TEMPLATE_CHECK: no_template_check}
    client = await started(aiohttp_client, create_app(settings, overrides=overrides))
    assert (await client.get("/metrics")).status == 401
    bad = {"Authorization": "Bearer guess"}
    assert (await client.get("/metrics", headers=bad)).status == 401
    good = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert good.status == 200
    assert "digitaly_http_requests_total" in await good.text()


def test_a_gzip_body_is_what_the_first_test_sends() -> None:
    """The broken body above really is broken (so the 400 is about decompression)."""
    with pytest.raises((OSError, EOFError, zlib.error)):
        gzip.decompress(b"\x1f\x8b\x08\x00 this is not gzip")
