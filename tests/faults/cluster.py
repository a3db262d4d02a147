"""Real worker and scheduler processes around the test's fake Twilio, for fault tests.

Processes are the product's own commands (``python -m bot worker`` /
``scheduler``) with the environment pointing at the test's MongoDB-wire server,
Redis and fake Twilio. The test must keep awaiting (``asyncio.sleep``) while
they run: the fake answers from the test's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.adapters.mongo import MongoStore
from bot.adapters.queue import TaskiqQueue
from bot.core.ports import InboundMessage, OutboxEntry
from bot.settings import Settings
from tests.fakes.twilio import AUTH_TOKEN, FakeTwilio
from workers.broker import create_broker

ROOT = Path(__file__).resolve().parents[2]
SENDER = "whatsapp:+5511930000001"


@dataclass
class Cluster:
    settings: Settings
    env: dict[str, str]
    workdir: Path
    processes: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)
    # Where each process answers /healthz, /readyz and /metrics (PORT for web, else METRICS_PORT).
    ports: dict[str, int] = field(default_factory=dict)
    started: int = 0

    async def start(self, role: str, **env: str) -> str:
        self.started += 1
        name = f"{role}-{self.started}"
        # Workers and schedulers take any free port and print it (no race with other
        # processes on the machine); web needs a PORT.
        env = {**self.env, "METRICS_PORT": "0", **env}
        if role == "web":
            # A test that must know the port beforehand (Twilio's webhook URL) names it.
            self.ports[name] = int(env.get("PORT") or 0) or free_port()
            env["PORT"] = str(self.ports[name])
            env.pop("METRICS_PORT")
        log = (self.workdir / f"{name}.log").open("wb")
        self.processes[name] = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            role,
            cwd=self.workdir,
            env=env,
            stdout=log,
            stderr=log,
        )
        log.close()
        return name

    async def port(self, name: str, within: float = 120) -> int:
        """Where process ``name`` answers /healthz, /readyz and /metrics (once it says so)."""
        deadline = time.monotonic() + within
        while name not in self.ports:
            text = (self.workdir / f"{name}.log").read_text(encoding="utf-8")
            if match := re.search(r"Health and metrics at http://[^:]+:(\d+)/metrics", text):
                self.ports[name] = int(match[1])
            elif time.monotonic() > deadline or self.processes[name].returncode is not None:
                raise AssertionError(f"{name} opened no metrics port: {text[-2000:]}")
            else:
                await asyncio.sleep(0.2)
        return self.ports[name]

    def is_up(self, name: str) -> bool:
        """Whether process ``name`` got through its start (it said where it answers)."""
        if name not in self.ports:
            text = (self.workdir / f"{name}.log").read_text(encoding="utf-8")
            if match := re.search(r"Health and metrics at http://[^:]+:(\d+)/metrics", text):
                self.ports[name] = int(match[1])
        return name in self.ports

    def log_lines(self, name: str) -> list[dict[str, Any]]:
        """The JSON log lines a process wrote so far (other output skipped)."""
        lines = []
        for line in (self.workdir / f"{name}.log").read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                lines.append(json.loads(line))
        return lines

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)

    def workers(self) -> list[str]:
        return [name for name in self.processes if name.startswith("worker")]

    async def stop(self) -> None:
        for name in list(self.processes):
            process = self.processes[name]
            self.kill(name)
            with contextlib.suppress(ProcessLookupError):
                await process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fault_settings(
    settings: Settings, *, rate: float = 2000, burst: int = 50, **sending: Any
) -> Settings:
    """Short timeouts so that faults heal in seconds, not minutes."""
    values: dict[str, Any] = {
        "max_attempts": 20,
        "request_timeout": timedelta(seconds=1),
        "unknown_grace": timedelta(seconds=2),
        "circuit_failures": 50,
        "circuit_reset": timedelta(seconds=1),
        "backoff_base": timedelta(milliseconds=200),
        "backoff_cap": timedelta(seconds=2),
    }
    values.update(sending)
    return settings.model_copy(
        update={
            "sending": settings.sending.model_copy(update=values),
            "rate_limits": settings.rate_limits.model_copy(
                update={"messages_per_second": rate, "burst": burst}
            ),
        }
    )


def _config(settings: Settings, path: Path, overrides: dict[str, Any]) -> Path:
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["flows_dir"] = str(ROOT / "flows")  # the processes run in the test's directory
    for section, values in overrides.items():
        config[section].update(values)
    sending = settings.sending
    durations = ("request_timeout", "unknown_grace", "circuit_reset", "backoff_base", "backoff_cap")
    config["sending"].update(
        {name: getattr(sending, name).total_seconds() for name in durations}  # seconds
        | {"max_attempts": sending.max_attempts, "circuit_failures": sending.circuit_failures}
    )
    config["flows_dir"] = str(ROOT / "flows")  # the processes run in the test's directory
    config["conversations"]["reconcile_every"] = (
        settings.conversations.reconcile_every.total_seconds()
    )
    config["rate_limits"] = {
        "messages_per_second": settings.rate_limits.messages_per_second,
        "burst": settings.rate_limits.burst,
    }
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@contextlib.asynccontextmanager
async def open_cluster(
    settings: Settings, twilio_url: str, workdir: Path, **config: dict[str, Any]
) -> AsyncIterator[Cluster]:
    """Processes on ``settings``' servers; ``config`` updates config.yaml's sections."""
    assert settings.mongodb_url
    assert settings.redis_url
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "TWILIO_"))}
    env.update(
        {
            "DIGITALY_CONFIG": str(_config(settings, workdir / "config.yaml", config)),
            "MONGODB_URL": settings.mongodb_url,
            "MONGODB_DB": settings.mongodb_db,
            "REDIS_URL": settings.redis_url,
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,  # what the fake Twilio checks
            "TWILIO_API_BASE_URL": twilio_url,
            "PUBLIC_BASE_URL": "https://digitaly.test",
            "DATA_DIR": str(workdir / "var"),
            "LOG_LEVEL": os.environ.get("FAULT_LOG_LEVEL", "WARNING"),
        }
    )
    cluster = Cluster(settings, env, workdir)
    try:
        yield cluster
    finally:
        await cluster.stop()


def entries(count: int, *, now: datetime, phones: int = 250) -> list[OutboxEntry]:
    """``count`` free-text messages over ``phones`` patients (several each, distinct texts)."""
    return [
        OutboxEntry(
            key=f"conv{i % phones}:msg{i}",
            conversation_id=f"conv{i % phones}",
            phone=f"+55119{i % phones:08d}",
            sender=SENDER,
            kind="reply",
            text=f"mensagem {i}",
            created_at=now,
        )
        for i in range(count)
    ]


async def seed(store: MongoStore, settings: Settings, count: int, fake: FakeTwilio) -> list[str]:
    """Write ``count`` outbox entries and hand them to the queue, as a conversation turn does.

    They are free-text replies: each patient wrote just before (Twilio and we both
    saw it), so the 24-hour window is open.
    """
    now = datetime.now(UTC)
    batch = entries(count, now=now)
    for phone in {entry.phone for entry in batch}:
        await store.inbound.add(
            InboundMessage(sid=f"SM-in-{phone}", phone=phone, body="oi", received_at=now)
        )
        fake.last_inbound[phone] = now
    for entry in batch:
        assert await store.outbox.add(entry)
    broker = create_broker(settings)
    queue = TaskiqQueue(broker)
    try:
        for entry in batch:
            await queue.enqueue_send(entry.key)
    finally:
        await broker.shutdown()
    return [entry.key for entry in batch]


async def wait_until_settled(
    store: MongoStore, count: int, *, within: float, tick: float = 0.5
) -> float:
    """Seconds until ``count`` entries are in a final state; fail after ``within``."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        final = await store.db["outbox"].count_documents(
            {"state": {"$in": ["sent", "failed", "dead"]}}
        )
        if final >= count:
            return time.monotonic() - start
        await asyncio.sleep(tick)
    states = await store.db["outbox"].distinct("state")
    raise AssertionError(f"not settled after {within}s; states present: {states}")
