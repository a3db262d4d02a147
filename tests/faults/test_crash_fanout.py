"""``digitaly run`` killed with ``kill -9``, embedded servers and all, twice mid-fan-out.

The product as a clinic runs it: one ``digitaly run`` process (web, worker and
scheduler) with its embedded MongoDB-wire and Valkey servers, sending 300 due
reminders to the fake Twilio in this process. Twice, at different moments, its
process group and both servers are SIGKILLed together (a power cut); each time
it is started again on the same data. What counts is what the fake received:
every patient reminded exactly once. Before the embedded server synced on
commit, 0–3 of 300 patients got two reminders in 3 of 4 runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from bot.adapters.codec import to_doc
from bot.adapters.mongo import open_store
from bot.core.model import Appointment
from bot.settings import load_settings
from tests.fakes.twilio import FakeTwilio

pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]
PATIENTS = 300
KILL_AFTER = (40, 170)  # sends seen at the fake before each kill
TOKEN = "crash-test-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(path: Path) -> Path:
    """The shipped config, sending around the clock and healing in seconds."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["reminders"]["sending_hours"] = {"start": "00:00", "end": "23:59", "sundays": True}
    for unit in config["units"]:
        unit.pop("sending_hours", None)
    config["sending"] |= {"request_timeout": 2, "unknown_grace": 3, "circuit_failures": 1000}
    config["rate_limits"] = {"messages_per_second": 200, "burst": 50}
    config["flows_dir"] = str(ROOT / "flows")
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def _env(workdir: Path, twilio_url: str, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "TWILIO_", "MONGODB_", "REDIS_"))
    }
    return env | {
        "DIGITALY_CONFIG": str(_config(workdir / "config.yaml")),
        "DATA_DIR": str(workdir / "var"),
        "PORT": str(port),
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_API_BASE_URL": twilio_url,
        "PUBLIC_BASE_URL": "https://digitaly.test",
        "LOG_LEVEL": "WARNING",
    }


class Run:
    """One ``digitaly run`` in its own process group."""

    def __init__(self, workdir: Path, env: dict[str, str], n: int) -> None:
        self.workdir, self.port, self.n = workdir, int(env["PORT"]), n
        with (workdir / f"run-{n}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def ready(self, within: float = 240) -> None:
        deadline = time.monotonic() + within
        last = "no answer on the port"
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, f"digitaly run exited\n{self.log_tail()}"
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{self.port}/readyz") as answer:
                        if answer.status == 200:
                            return
                        last = f"/readyz {answer.status}: {await answer.text()}"
                await asyncio.sleep(0.3)
        # What it said and logged: a start that hangs once in many runs is found from this.
        raise AssertionError(f"digitaly run did not get ready ({last})\n{self.log_tail()}")

    def log_tail(self, size: int = 6000) -> str:
        text = (self.workdir / f"run-{self.n}.log").read_text(encoding="utf-8", errors="replace")
        return text[-size:]

    def servers(self) -> dict[str, dict[str, Any]]:
        state = json.loads((self.workdir / "var" / "embedded.json").read_text())
        return {server["name"]: server for server in state["servers"]}

    def power_cut(self) -> None:
        """SIGKILL the process group and the embedded servers at once (they have their own)."""
        pids = [server["pid"] for server in self.servers().values()]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()
        for pid in pids:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.power_cut()


async def _seed(workdir: Path, run: Run) -> None:
    """300 appointments tomorrow, each with its reminder due a minute ago."""
    mongo = run.servers()["mongo"]["port"]
    settings = load_settings(
        {
            "DIGITALY_CONFIG": str(workdir / "config.yaml"),
            "DATA_DIR": str(workdir / "var"),
            "MONGODB_URL": f"mongodb://127.0.0.1:{mongo}/?retryWrites=false&directConnection=true",
        }
    )
    now = datetime.now(UTC)
    async with open_store(settings) as opened:
        docs = []
        for n in range(PATIENTS):
            appointment = Appointment(
                id=f"a{n}",
                external_id=f"LEG-{n}",
                patient_name=f"Paciente {n}",
                phone=f"+55119{n:08d}",
                starts_at=now + timedelta(hours=20, minutes=n),
                doctor="Dra. Ana",
                unit="centro",
            )
            doc = opened.sealer.encode("appointments", to_doc(appointment))
            doc["reminder_due_at"] = now - timedelta(minutes=1)
            docs.append(doc)
        await opened.db["appointments"].insert_many(docs)


def _reminded(fake: FakeTwilio) -> Counter[str]:
    return Counter(m.form.get("To", "") for m in fake.messages)


async def _until(condition: Any, within: float, what: str, fake: FakeTwilio) -> None:
    deadline = time.monotonic() + within
    while not condition():
        seen = f"{len(_reminded(fake))} patients reminded, {len(fake.messages)} sends"
        assert time.monotonic() < deadline, f"{what} after {within:.0f} s: {seen}"
        await asyncio.sleep(0.02)


async def test_two_power_cuts_mid_fan_out_remind_every_patient_exactly_once(
    fake_twilio: tuple[FakeTwilio, str], tmp_path: Path
) -> None:
    fake, url = fake_twilio
    fake.auth_token = TOKEN  # the strict fake refuses another account's credentials (20003)
    fake.delay = 0.01  # a send takes a moment: cuts land between the request and its record
    env = _env(tmp_path, url, _free_port())
    runs = [Run(tmp_path, env, 0)]
    try:
        await runs[-1].ready()
        await _seed(tmp_path, runs[-1])
        for n, after in enumerate(KILL_AFTER, start=1):
            await _until(lambda after=after: len(fake.messages) >= after, 240, "no fan-out", fake)
            runs[-1].power_cut()
            runs.append(Run(tmp_path, env, n))
            await runs[-1].ready()
        await _until(lambda: len(_reminded(fake)) >= PATIENTS, 300, "not all reminded", fake)
        await asyncio.sleep(5)  # the sweeper settles what the cuts left: no second send comes
    finally:
        runs[-1].stop()
    reminded = _reminded(fake)
    twice = {to: count for to, count in reminded.items() if count > 1}
    print(
        f"\ncrash: {len(reminded)} patients reminded, {len(twice)} twice, {len(fake.messages)} sends"
    )
    assert len(reminded) == PATIENTS
    assert twice == {}
