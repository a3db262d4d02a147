"""Browser tests: the real app on a TCP port, a worker in-process, headless Chromium.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``make test``), driven
by Python ``playwright`` through ``executable_path`` (never ``playwright
install``). Without it these tests fail: they are the proof that the pages work.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Browser, async_playwright
from redis.asyncio import Redis

from bot.adapters.queue import TaskiqQueue
from bot.services.demo import seed_demo
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import CLOCK, QUEUE, STAFF, STORE
from tests.web.conftest import served
from workers.broker import create_broker
from workers.runtime import run_worker
from workers.tasks import register_tasks

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STAFF_EMAIL = "ana@clinica.example"
STAFF_PASSWORD = "uma-senha-comprida"


@dataclass(frozen=True)
class Live:
    url: str
    app: web.Application


@pytest.fixture
async def live(settings: Settings, redis: Redis) -> AsyncIterator[Live]:
    """The whole product without Twilio: web app, demo data, a staff account, a worker."""
    settings = settings.model_copy(update={"public_base_url": None})
    queue_name = f"digitaly:test:{uuid.uuid4().hex[:8]}"
    kick, worker_broker = (
        create_broker(settings, queue=queue_name),
        create_broker(settings, queue=queue_name),
    )
    register_tasks(worker_broker, settings)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(worker_broker, stop, max_async_tasks=5))
    app = create_app(settings, overrides={QUEUE: TaskiqQueue(kick)})
    server = await served(app)
    try:
        await seed_demo(app[STORE], settings, app[CLOCK])
        await app[STAFF].create("Ana Recepção", STAFF_EMAIL, STAFF_PASSWORD, app[CLOCK]())
        yield Live(str(server.make_url("")).rstrip("/"), app)
    finally:
        await server.close()
        stop.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(worker, 15)
        await kick.shutdown()


@pytest.fixture
def chromium() -> str:
    assert CHROMIUM.exists(), (
        "Debian's chromium is missing: run `make test` (it installs it) as root"
    )
    return str(CHROMIUM)


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        yield launched
        await launched.close()


def artifact(name: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / name)


async def log_in(page: Any, live: Live, target: str = "/console") -> None:
    await page.goto(live.url + target)
    await page.fill("input[name=email]", STAFF_EMAIL)
    await page.fill("input[name=password]", STAFF_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(live.url + target)
