"""``digitaly run`` as a newcomer runs it: embedded servers, ready, Ctrl-C, data kept."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pymongo
import pytest

from tests.checks import alive

ROOT = Path(__file__).resolve().parents[1]
DIGITALY = [sys.executable, "-m", "bot"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"MONGODB_URL", "REDIS_URL"}}
    env.update({"DATA_DIR": str(tmp_path / "var"), "DIGITALY_CONFIG": str(ROOT / "config.yaml")})
    env.update(extra)
    return env


def _wait_ready(port: int, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("not ready in time")


def _start(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*DIGITALY, "run"],
        cwd=tmp_path,
        env=_env(tmp_path, PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _interrupt(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=40)
    assert process.returncode == 0
    # A clean stop: no scan cut mid-way, no client closed under a running job.
    assert '"level": "error"' not in err, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    # Web, worker and scheduler each open a store; the operator is told once per process
    # that the data key is a generated one, not once per store.
    assert err.count("DIGITALY_DATA_KEYS is not set") == 1, err[-3000:]
    return out


@pytest.mark.timeout(180)
def test_run_is_ready_stops_cleanly_and_keeps_data(tmp_path: Path) -> None:
    port = _free_port()
    process = _start(tmp_path, port)
    _wait_ready(port, process)
    # Ready means its flows are loaded: their reply models were fitted in a child process,
    # so scikit-learn and SciPy (~85 MB) never entered the serving one, and they read with
    # the standard library, so NumPy (~17 MB) did not either.
    mapped = Path(f"/proc/{process.pid}/maps").read_text()
    assert "/sklearn/" not in mapped
    assert "/scipy/" not in mapped
    assert "/numpy/" not in mapped
    state = json.loads((tmp_path / "var" / "embedded.json").read_text())
    pids = [server["pid"] for server in state["servers"]]
    mongo_port = next(s["port"] for s in state["servers"] if s["name"] == "mongo")
    with pymongo.MongoClient(f"mongodb://127.0.0.1:{mongo_port}/?directConnection=true") as client:
        client.digitaly.probe.insert_one({"_id": "kept"})
    out = _interrupt(process)
    assert f"http://127.0.0.1:{port}" in out
    assert not any(alive(pid) for pid in pids), "embedded servers left behind"
    assert not (tmp_path / "var" / "embedded.json").exists()

    process = _start(tmp_path, port)
    _wait_ready(port, process)
    state = json.loads((tmp_path / "var" / "embedded.json").read_text())
    mongo_port = next(s["port"] for s in state["servers"] if s["name"] == "mongo")
    with pymongo.MongoClient(f"mongodb://127.0.0.1:{mongo_port}/?directConnection=true") as client:
        assert client.digitaly.probe.find_one({"_id": "kept"}) == {"_id": "kept"}
    _interrupt(process)


@pytest.mark.parametrize(
    ("extra", "config", "expected"),
    [
        (
            {"PORT": "abc"},
            None,
            "digitaly: PORT (environment variable): Input should be a valid integer",
        ),
        ({}, "units: [\n", "config.yaml:2: YAML inválido"),
        (
            {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "secret"},
            None,
            "PUBLIC_BASE_URL is required with TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
        ),
    ],
)
def test_bad_configuration_exits_2_with_one_line(
    tmp_path: Path, extra: dict[str, str], config: str | None, expected: str
) -> None:
    env = _env(tmp_path, **extra)
    if config is not None:
        (tmp_path / "config.yaml").write_text(config)
        env["DIGITALY_CONFIG"] = str(tmp_path / "config.yaml")
    result = subprocess.run(
        [*DIGITALY, "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert not (tmp_path / "var").exists()  # nothing was started
