"""Fixtures for the web tests: the real app with Twilio credentials and a recording queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from bot.adapters.memory import MemoryQueue
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import QUEUE, SCHEMA_READY, TEMPLATE_CHECK
from tests.fakes.twilio import FakeTwilio
from tests.twilio_signing import PUBLIC, TOKEN, with_twilio

Client = TestClient[Any, Any]


@pytest.fixture
def twilio_settings(settings: Settings) -> Settings:
    # Nothing listens there: offline.
    return with_twilio(settings, "http://127.0.0.1:9")


async def _offline_template_check(settings: Settings) -> list[str]:
    """The start's template check against the offline Twilio above, without its child
    process: an interpreter's start (about a CPU-second) in every test, for nothing."""
    return []


@pytest.fixture
async def client(aiohttp_client: Any, twilio_settings: Settings, redis: Redis) -> Client:
    queue = MemoryQueue()
    app = create_app(
        twilio_settings, overrides={QUEUE: queue, TEMPLATE_CHECK: _offline_template_check}
    )
    return await started(aiohttp_client, app)


async def schema_ready(app: web.Application) -> None:
    """Wait (10 s at most) for ``app``'s MongoDB indexes: they are created in the background."""
    for _ in range(200):
        if app[SCHEMA_READY].get("mongodb"):
            return
        await asyncio.sleep(0.05)


async def started(aiohttp_client: Any, app: web.Application) -> Client:
    """A test client on ``app``, once its MongoDB indexes exist."""
    client: Client = await aiohttp_client(app)
    await schema_ready(app)
    return client


async def served(app: web.Application) -> TestServer:
    """``app`` on a local TCP port, once its MongoDB indexes exist; close it after the test."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    await schema_ready(app)
    return server


def patients_of(client: Client) -> FakeTwilio:
    """The strict fake Twilio, posting what patients send to ``client``'s app (signed on
    our public URL, with our auth token, as Twilio does); close it after the test."""
    fake = FakeTwilio(auth_token=TOKEN)
    fake.route(PUBLIC, str(client.make_url("")))
    return fake


@pytest.fixture
async def twilio(client: Client) -> AsyncIterator[FakeTwilio]:
    """Patients writing to ``client``'s app through the fake Twilio."""
    fake = patients_of(client)
    yield fake
    await fake.close()
