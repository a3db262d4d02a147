"""The start's template check runs in a child: the web process never imports twilio.rest."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.adapters.memory import MemoryQueue
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import QUEUE, TEMPLATE_PROBLEMS
from tests.twilio_signing import with_twilio
from tests.web.conftest import started

ROOT = Path(__file__).resolve().parents[2]

# What ``python -m bot web`` imports before it serves; the REST client is the check's.
_WEB_IMPORTS = "import bot.cli, bot.cli.serve, bot.web.app"
_REST = ("twilio.rest", "requests", "urllib3")


@pytest.mark.timeout(120)  # an interpreter's imports on a loaded machine
def test_the_web_process_imports_no_twilio_rest_client() -> None:
    probe = (
        f"{_WEB_IMPORTS}; import sys; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {set(_REST)!r} "
        "or m.startswith('twilio.rest')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.template_check_child
@pytest.mark.timeout(180)  # the app's start, then the child's: minutes on a loaded machine
async def test_a_twilio_that_cannot_be_reached_is_a_readyz_detail(
    aiohttp_client: Any, settings: Settings, redis: Redis
) -> None:
    """The child's failure comes back as the check's: a warning line, the process ready."""
    app = create_app(with_twilio(settings, "http://127.0.0.1:9"), overrides={QUEUE: MemoryQueue()})
    client = await started(aiohttp_client, app)
    for _ in range(2400):  # the child's interpreter, then its connection refused
        if app[TEMPLATE_PROBLEMS]:
            break
        await asyncio.sleep(0.05)
    response = await client.get("/readyz")
    body = await response.json()
    assert response.status == 200
    [problem] = body["template_problems"]
    assert problem.startswith("não foi possível consultar os modelos na Twilio: ")
