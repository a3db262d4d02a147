"""Fixtures for the web tests: the real app with Twilio credentials and a recording queue."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
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


async def no_template_check(settings: Settings) -> list[str]:
    """The start's template check, finding nothing, without its child process: an
    interpreter's start (about a CPU-second) in every test with Twilio configured, for
    nothing. Give it as the app's ``TEMPLATE_CHECK`` wherever the test does not look at
    the check; the tests of the check (test_template_check_child.py,
    test_start_up_template_check_is_a_readyz_detail) start the real one."""
    return []


# Every template-check child this process starts, seen through the interpreter's audit
# events (asyncio's subprocesses are subprocess.Popen too): what the guard below counts.
_CHECK_CHILDREN: list[str] = []


def _on_audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "subprocess.Popen" and "bot.adapters.template_check" in map(str, args[1] or ()):
        _CHECK_CHILDREN.append(event)


sys.addaudithook(_on_audit)


@pytest.fixture(autouse=True)
def template_check_child_only_where_tested(request: pytest.FixtureRequest) -> Iterator[None]:
    """A web test starts the template check's child only when it is marked as testing it
    (``template_check_child``): elsewhere the app gets :func:`no_template_check`."""
    before = len(_CHECK_CHILDREN)
    yield
    if request.node.get_closest_marker("template_check_child") is None:
        started_here = len(_CHECK_CHILDREN) - before
        assert started_here == 0, (
            f"{started_here} template-check child process(es) started: give the app "
            "TEMPLATE_CHECK: no_template_check, or mark the test template_check_child"
        )


@pytest.fixture
async def client(aiohttp_client: Any, twilio_settings: Settings, redis: Redis) -> Client:
    queue = MemoryQueue()
    app = create_app(twilio_settings, overrides={QUEUE: queue, TEMPLATE_CHECK: no_template_check})
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
