"""Data a suite needs before it measures, written through the product's own store and services."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bench.processes import ROOT
from bench.servers import Servers
from bot.adapters.flow_files import FlowDirectory
from bot.adapters.locks import RedisLocks
from bot.adapters.mongo import MongoStore, ensure_schema
from bot.adapters.mongo.opening import connect_store
from bot.core.model import Appointment
from bot.core.ports import TaskQueue
from bot.settings import Settings, load_settings
from bot.wiring import Services, create_services

__all__ = [
    "appointment",
    "bench_settings",
    "generate_data_keys",
    "in_batches",
    "open_store",
    "phone",
    "product_services",
]


def phone(n: int) -> str:
    """Patient ``n``'s number (distinct for every n below 10**8)."""
    return f"+55119{n:08d}"


def appointment(n: int, starts_at: datetime, unit: str = "centro") -> Appointment:
    return Appointment(
        id=f"a{n}",
        external_id=f"BENCH-{n}",
        patient_name=f"Paciente Bench {n}",
        phone=phone(n),
        starts_at=starts_at,
        doctor="Dra. Ana Souza",
        unit=unit,
    )


def generate_data_keys() -> str:
    """A fresh DIGITALY_DATA_KEYS, made the way an operator makes one."""
    command = [sys.executable, "-m", "bot", "keys", "generate"]
    return subprocess.run(
        command, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def bench_settings(servers: Servers, workdir: Path, **env: str) -> Settings:
    """The shipped config.yaml on the suite's servers and database."""
    return load_settings(
        {
            "DIGITALY_CONFIG": str(ROOT / "config.yaml"),
            "MONGODB_URL": servers.mongodb_url,
            "MONGODB_DB": servers.db,
            "REDIS_URL": servers.redis_url,
            "DATA_DIR": str(workdir / "var"),
            **env,
        }
    )


@asynccontextmanager
async def open_store(settings: Settings, data_keys: str) -> AsyncIterator[MongoStore]:
    """The product's store on the suite's database (schema created), dropped afterwards on a
    given ``MONGODB_URL``. An embedded server's data goes with the suite's temp dir: it is
    not dropped, because SecantusDB drops a database document by document (minutes for
    the fan-out's 10,000 reminders, their conversations and outbox entries)."""
    opened = connect_store(settings, environ={"DIGITALY_DATA_KEYS": data_keys})
    await ensure_schema(opened.db)
    try:
        yield opened.store
    finally:
        if os.environ.get("MONGODB_URL"):  # the servers' rule (bench.servers)
            await opened.client.drop_database(settings.mongodb_db)
        await opened.client.close()


def product_services(
    settings: Settings,
    store: MongoStore,
    queue: TaskQueue,
    redis: Redis,
    clock: Callable[[], datetime],
) -> Services:
    flows = FlowDirectory(ROOT / "flows")
    flows.reload()
    return create_services(
        settings, store=store, flows=flows, queue=queue, locks=RedisLocks(redis), clock=clock
    )


async def in_batches(
    work: Callable[[Any], Awaitable[object]], items: Iterable[Any], concurrency: int = 16
) -> None:
    """Await ``work(item)`` for every item, ``concurrency`` at a time."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == concurrency:
            await asyncio.gather(*(work(each) for each in batch))
            batch = []
    await asyncio.gather(*(work(each) for each in batch))
