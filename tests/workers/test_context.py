"""The worker's and scheduler's start-up connection (``workers.context.open_context``)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from bot.adapters.embedded import start_mongo, stop_server
from bot.adapters.mongo import schema_current
from bot.settings import Settings
from workers.context import open_context

# Longer than the client's server selection (5 s): the time a just-crashed server took
# to answer when `digitaly run` ended at start-up in the crash test.
LATE_SECONDS = 7.0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_context_waits_for_a_mongodb_that_answers_late(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = _closed_port()
    late = settings.model_copy(
        update={
            "mongodb_url": f"mongodb://127.0.0.1:{port}/?retryWrites=false&directConnection=true"
        }
    )
    opened = asyncio.Event()
    schema: list[bool] = []

    async def start() -> None:
        async with open_context(late) as context:
            schema.append(await schema_current(context.mongo[late.mongodb_db]))
            opened.set()

    starting = asyncio.create_task(start())
    await asyncio.sleep(LATE_SECONDS)
    if starting.done():
        starting.result()  # before: ServerSelectionTimeoutError ended the process's start
    assert not starting.done()
    assert "mongodb not ready; retrying" in [r.getMessage() for r in caplog.records]

    pid, _ = await asyncio.to_thread(start_mongo, tmp_path / "late", port)
    try:
        await asyncio.wait_for(starting, 60)
    finally:
        await asyncio.to_thread(stop_server, pid)
    assert opened.is_set()
    assert schema == [True]
