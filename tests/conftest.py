"""Shared fixtures: real servers for the whole session, a fresh database per test.

MongoDB-wire and Redis-wire servers are the embedded ones the product itself
starts (SecantusDB, Valkey), unless MONGODB_URL / REDIS_URL are set, in which
case the same tests run against those servers.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pymongo
import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.adapters.embedded import start_mongo, start_valkey, stop_server
from bot.adapters.mongo import MongoStore, connect_store, ensure_schema
from bot.logs import JsonFormatter, quiet_third_parties
from bot.settings import Settings, load_settings
from tests.fakes.smtp import SmtpServer
from tests.fakes.templates import flow_templates
from tests.fakes.twilio import FakeTwilio
from tests.shipped_models import fit_shipped_models, put_back_shipped_models

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mongodb_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("MONGODB_URL"):
        yield url
        _drop_finished(url)  # a server that outlives the session keeps no test's data
        return
    # Throwaway data: no fsync per commit (the crash tests start their own, durable, servers).
    pid, port = start_mongo(tmp_path_factory.mktemp("mongo"), durable=False)
    yield f"mongodb://127.0.0.1:{port}/?retryWrites=false&directConnection=true"
    stop_server(pid)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("REDIS_URL"):
        yield url
        return
    pid, port = start_valkey(tmp_path_factory.mktemp("valkey"))
    yield f"redis://127.0.0.1:{port}/0"
    stop_server(pid)


def _test_settings(tmp_path: Path, **servers: str) -> Settings:
    return load_settings(
        {
            "DIGITALY_CONFIG": str(ROOT / "config.yaml"),
            "DATA_DIR": str(tmp_path / "var"),
            "PUBLIC_BASE_URL": "https://digitaly.test",
            **servers,
        }
    )


@pytest.fixture
def memory_settings(tmp_path: Path) -> Settings:
    """Settings from the shipped config.yaml and no servers: for tests on the memory store."""
    return _test_settings(tmp_path)


# Databases of finished tests, dropped when the next test starts. Not at their own test's
# teardown: fixtures a test names before ``settings`` (``aiohttp_client``) close after it,
# so an app could still be writing in a transaction, and a drop meeting a transaction
# deadlocks the embedded server.
_finished_databases: list[str] = []


def _drop_finished(mongodb_url: str) -> None:
    # Hundreds of leftover databases slow the shared server down for the tests after.
    with pymongo.MongoClient(mongodb_url) as client:
        while _finished_databases:
            client.drop_database(_finished_databases.pop())


@pytest.fixture
def settings(mongodb_url: str, redis_url: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings from the shipped config.yaml, on a fresh database (dropped after the test)."""
    _drop_finished(mongodb_url)
    database = f"t_{uuid.uuid4().hex[:12]}"
    yield _test_settings(
        tmp_path, MONGODB_URL=mongodb_url, MONGODB_DB=database, REDIS_URL=redis_url
    )
    _finished_databases.append(database)


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    assert settings.redis_url
    client = Redis.from_url(settings.redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@asynccontextmanager
async def open_mongo_store(
    settings: Settings, *, bulk_writes: bool | None = None
) -> AsyncIterator[MongoStore]:
    """A MongoStore on the test's own database, dropped afterwards. ``bulk_writes=False``:
    a transaction's writes one round trip each, as on MongoDB 7 (None: by the server)."""
    opened = connect_store(settings, bulk_writes=bulk_writes)
    await ensure_schema(opened.db)
    try:
        yield opened.store
    finally:
        await opened.client.drop_database(settings.mongodb_db)
        await opened.client.close()


@pytest.fixture
async def mongo_store(settings: Settings) -> AsyncIterator[MongoStore]:
    async with open_mongo_store(settings) as store:
        yield store


@pytest.fixture
async def fake_twilio() -> AsyncIterator[tuple[FakeTwilio, str]]:
    """The fake and its base URL (what TWILIO_API_BASE_URL would be)."""
    fake = FakeTwilio()
    for template in flow_templates():
        fake.add_template(template)
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    yield fake, str(server.make_url("")).rstrip("/")
    await fake.close()
    await server.close()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


# What a log line must never carry: phone numbers in clear, and the names,
# message texts and secrets the tests use.
_PHONE = re.compile(r"(?<![0-9A-Za-z*])\+?55\d{10,11}(?![0-9A-Za-z])")
_SENTINELS = (
    "da Silva", "Conceição", "Peçanha", "não vou poder", "estarei lá", "Maria 4",
    "test-auth-token", "dgt_", "Paciente ",
)  # fmt: skip


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.formatter = JsonFormatter()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(autouse=True)
def no_patient_data_in_logs() -> Iterator[None]:
    """Every test's log lines, at DEBUG and as production formats them, hold no patient data."""
    root = logging.getLogger()
    handler, level = _Lines(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet_third_parties()
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    leaks = [
        line for line in handler.lines if _PHONE.search(line) or any(s in line for s in _SENTINELS)
    ]
    assert not leaks, f"patient data in {len(leaks)} log line(s), first: {leaks[0][:300]}"


def pytest_collection_finish(session: pytest.Session) -> None:
    fit_shipped_models(session.items)  # once, outside every test's timeout


@pytest.fixture(autouse=True)
def shipped_models() -> None:
    """Each test finds the shipped flows' models fitted, whatever ran before it."""
    put_back_shipped_models()


def pytest_configure(config: Any) -> None:
    os.environ.setdefault("TZ", "UTC")
