"""/healthz and /readyz through the real create_app."""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.adapters.embedded import start_mongo, stop_server
from bot.core.errors import ConfigError
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import FLOWS

AiohttpClient = Any
SHIPPED_FLOWS = Path(__file__).resolve().parents[2] / "flows"


async def _ready(client: TestClient[Any, Any], within: float = 15.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        response = await client.get("/readyz")
        body: dict[str, Any] = await response.json()
        if response.status == 200 or asyncio.get_running_loop().time() > deadline:
            return {"http": response.status, **body}
        await asyncio.sleep(0.2)


async def test_healthz_and_readyz(aiohttp_client: AiohttpClient, settings: Settings) -> None:
    client = await aiohttp_client(create_app(settings))
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "alive"}
    body = await _ready(client)
    assert body == {"http": 200, "status": "ready", "checks": {"mongodb": "ok", "redis": "ok"}}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_readyz_names_mongodb_when_down_and_recovers(
    aiohttp_client: AiohttpClient, settings: Settings, tmp_path: Path
) -> None:
    port = _closed_port()
    down = settings.model_copy(
        update={
            "mongodb_url": f"mongodb://127.0.0.1:{port}/?retryWrites=false&directConnection=true&serverSelectionTimeoutMS=500"
        }
    )
    client = await aiohttp_client(create_app(down))
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["checks"] == {"mongodb": "failing", "redis": "ok"}
    assert "mongodb" in body["problems"]
    assert (await client.get("/healthz")).status == 200  # the process keeps running

    pid, _ = await asyncio.to_thread(start_mongo, tmp_path / "late", port)
    try:
        body = await _ready(client, within=30)
        assert body["http"] == 200, body
        # Close the app (and its MongoDB client) while the server still runs: a client
        # whose server vanished under it leaves a socket for the garbage collector.
        await client.close()
    finally:
        await asyncio.to_thread(stop_server, pid)


async def test_readyz_names_redis_when_down(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    port = _closed_port()
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"})
    client = await aiohttp_client(create_app(down))
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["checks"]["redis"] == "failing"
    assert "redis" in body["problems"]
    # Issue 17: the dependency is named, its exception text (internal addresses) is not.
    text = await response.text()
    assert str(port) not in text
    assert "Error" not in text


async def test_unknown_route_is_a_json_404(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    client = await aiohttp_client(create_app(settings))
    response = await client.get("/nope")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


def test_create_app_needs_urls(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="MONGODB_URL"):
        create_app(settings.model_copy(update={"mongodb_url": None}))


async def test_readyz_shows_a_refused_flow_edit_and_stays_ready(
    aiohttp_client: AiohttpClient, settings: Settings, tmp_path: Path
) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(SHIPPED_FLOWS, flows)
    app = create_app(settings.model_copy(update={"flows_dir": flows}))
    client = await aiohttp_client(app)
    assert "refused_flow_edits" not in await _ready(client)
    path = flows / "confirmation.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("cancel: confirm_cancel", "cancel: nowhere", 1),
        encoding="utf-8",
    )
    app[FLOWS].reload()  # what the running server's watcher does
    body = await _ready(client)
    assert body["http"] == 200
    assert body["status"] == "ready"
    refused = body["refused_flow_edits"][str(path)]
    assert any('o estado "nowhere" não existe' in problem for problem in refused)
