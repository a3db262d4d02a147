"""Finding 4 of issue 17: slow clients holding connections, on a real listening server.

The app is served the way ``digitaly web`` serves it (``AppRunner`` + the
capped site), with short deadlines so the test does not wait 15 s; what is
counted is which connections the server closed, never how fast.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import web
from redis.asyncio import Redis

from bot.adapters.memory import MemoryQueue
from bot.settings import Settings, WebLimits
from bot.web import create_app
from bot.web.connections import CappedSite
from bot.web.keys import QUEUE, TEMPLATE_CHECK
from tests.web.conftest import no_template_check

Address = tuple[str, int]
LIMITS = WebLimits(
    header_timeout=timedelta(seconds=1),
    body_timeout=timedelta(seconds=1),
    max_connections_per_client=8,
)
# Far above the deadlines: only a server that never closes the connection reaches it.
GIVE_UP = 20.0


@pytest.fixture
async def server(twilio_settings: Settings, redis: Redis) -> AsyncIterator[Address]:
    settings = twilio_settings.model_copy(update={"web_limits": LIMITS})
    app = create_app(settings, overrides={QUEUE: MemoryQueue(), TEMPLATE_CHECK: no_template_check})
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = CappedSite(runner, "127.0.0.1", 0, cap=LIMITS.max_connections_per_client)
    await site.start()
    yield "127.0.0.1", site._bound_port
    await runner.cleanup()


async def _closed_by_server(reader: asyncio.StreamReader) -> bool:
    """True when the server ended the connection (EOF or reset), False if it never did."""
    try:
        while await asyncio.wait_for(reader.read(1024), GIVE_UP):
            pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


async def test_twenty_slow_clients_are_capped_then_cut_off(server: Address) -> None:
    head = b"POST /webhooks/twilio/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"  # never finished
    connections = [await asyncio.open_connection(*server) for _ in range(20)]
    for _, writer in connections:
        writer.write(head)
    await asyncio.gather(*(writer.drain() for _, writer in connections))
    closed = await asyncio.gather(*(_closed_by_server(reader) for reader, _ in connections))
    for _, writer in connections:
        writer.close()
    assert closed.count(True) == 20  # 12 refused at once by the cap, 8 cut at the header deadline
    # The server is free again: a well-behaved client is answered.
    reader, writer = await asyncio.open_connection(*server)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), GIVE_UP)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200")


async def test_a_body_sent_too_slowly_is_cut_off(
    server: Address, caplog: pytest.LogCaptureFixture
) -> None:
    reader, writer = await asyncio.open_connection(*server)
    writer.write(
        b"POST /webhooks/twilio/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nMessageSid="
    )
    await writer.drain()
    assert await _closed_by_server(reader)
    writer.close()
    await asyncio.sleep(0.2)
    messages = [r.getMessage() for r in caplog.records]
    assert "request body too slow: connection closed" in messages
    assert not [r for r in caplog.records if r.exc_info]
