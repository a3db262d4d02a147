"""/healthz and /readyz through the real create_app."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient
from pymongo import monitoring

from bot.adapters.embedded import start_mongo, stop_server
from bot.adapters.mongo import create_mongo_client, ping
from bot.core.errors import ConfigError
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import FLOWS, MONGO
from bot.web.ops import create_ops_app

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


class _Gate:
    """A TCP relay to the real MongoDB-wire server that holds every connection until opened.

    The server behind it answers at once when the gate opens: no start-up time in the test.
    """

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 27017)
        self.opened = asyncio.Event()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    async def __aenter__(self) -> _Gate:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        relay = asyncio.current_task()
        assert relay is not None
        self._tasks.add(relay)
        try:
            await self.opened.wait()
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            pipes = {
                asyncio.create_task(self._pipe(reader, up_writer)),
                asyncio.create_task(self._pipe(up_reader, writer)),
            }
            try:
                await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pipe in pipes:
                    pipe.cancel()
                up_writer.close()
        except asyncio.CancelledError:
            pass  # the gate closes at the end of the test: asyncio's stream callback logs a cancel
        finally:
            writer.close()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()


class _Pings(monitoring.CommandListener):
    """The pings the server received and answered (pymongo's command monitoring)."""

    def __init__(self) -> None:
        self.sent = 0
        self.answered = 0
        self.first_answer = asyncio.Event()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.sent += event.command_name == "ping"

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.command_name == "ping":
            self.answered += 1
            self.first_answer.set()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_a_readyz_timeout_leaves_the_mongodb_ping_running_and_the_next_check_joins_it(
    aiohttp_client: AiohttpClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Cancelling a pymongo call mid-flight can leave its client stuck for good (on Python
    # 3.11 the topology lock ends up held by a finished task: bot.web.in_flight). A probe
    # that times out must leave its ping running; the checks after it join that ping.
    assert settings.mongodb_url
    async with _Gate(settings.mongodb_url) as gate:
        pings = _Pings()
        client = create_mongo_client(
            f"mongodb://127.0.0.1:{gate.port}/?retryWrites=false&directConnection=true",
            event_listeners=[pings],
        )
        try:
            http = await aiohttp_client(create_app(settings, overrides={MONGO: client}))
            answers = await asyncio.gather(http.get("/readyz"), http.get("/readyz"))
            for answer in answers:
                assert answer.status == 503
                body = await answer.json()
                assert body["checks"] == {"mongodb": "failing", "redis": "ok"}
                assert body["problems"] == {"mongodb": "no answer in time"}
            assert pings.sent == 0

            gate.opened.set()  # the server answers now; nobody asks /readyz meanwhile
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pings.first_answer.wait(), 8)
            # The first check's ping, still running, got through: one ping for both checks.
            assert (pings.sent, pings.answered) == (1, 1)
            # A check that found no answer says so in the log (the operator sees a stuck client).
            late = [
                r for r in caplog.records if r.getMessage() == "dependency did not answer in time"
            ]
            assert late
            assert all(getattr(r, "dependency", None) == "mongodb" for r in late)
            body = await _ready(http)
            assert body["http"] == 200, body
            await http.close()
        finally:
            await client.close()


async def test_a_worker_port_is_ready_without_a_store(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    """A worker's or scheduler's own port (``METRICS_PORT``) has probes, not a store: its
    /readyz says ready, without the web process's sender detail (was a 500, a KeyError)."""
    assert settings.mongodb_url is not None
    mongo = create_mongo_client(settings.mongodb_url)
    db = mongo.get_database("digitaly_ops_port")

    async def current() -> bool:
        return True

    async def no_gauges() -> None:
        return None

    app = create_ops_app({"mongodb": lambda: ping(db)}, schema_current=current, gauges=no_gauges)
    try:
        client = await aiohttp_client(app)
        assert await _ready(client) == {"http": 200, "status": "ready", "checks": {"mongodb": "ok"}}
    finally:
        await mongo.close()
