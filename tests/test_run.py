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
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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
        start_new_session=True,  # its own process group: the teardown kills it whole
    )


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for a PID 1 that may never reap it)."""
    try:
        return (
            alive(pid) and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        )
    except FileNotFoundError:
        return False


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid``, from /proc's parent links."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended while we read
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _ours(tmp_path: Path, process: subprocess.Popen[str]) -> set[int]:
    """``digitaly run``, what it started, and the embedded servers it recorded (their own
    sessions, so outside its process group)."""
    pids = {process.pid} | _descendants(process.pid)
    try:
        state = json.loads((tmp_path / "var" / "embedded.json").read_text())
    except (OSError, ValueError):
        return pids
    return pids | {int(server["pid"]) for server in state["servers"]}


def _kill(pids: set[int]) -> None:
    for pid in pids:
        for kill in (os.killpg, os.kill):  # its whole group when it leads one
            with suppress(ProcessLookupError, PermissionError):
                kill(pid, signal.SIGKILL)


@contextmanager
def _run(tmp_path: Path, port: int) -> Iterator[subprocess.Popen[str]]:
    """``digitaly run``, stopped with all it started however the block ends (a failed
    assertion included): none of it may outlive the test."""
    process = _start(tmp_path, port)
    try:
        yield process
    finally:
        seen = _ours(tmp_path, process)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        _kill(seen | _descendants(process.pid))
        if process.stdout is not None and not process.stdout.closed:
            process.communicate(timeout=30)  # reaps it and closes its pipes
        process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_running(pid) for pid in seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = sorted(pid for pid in seen if _running(pid))
        assert not left, f"left running: {left}"


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
    with _run(tmp_path, port) as process:
        _wait_ready(port, process)
        # Ready means its flows are loaded: their reply models were fitted in a child
        # process, so scikit-learn and SciPy (~85 MB) never entered the serving one, and
        # they read with the standard library, so NumPy (~17 MB) did not either.
        mapped = Path(f"/proc/{process.pid}/maps").read_text()
        assert "/sklearn/" not in mapped
        assert "/scipy/" not in mapped
        assert "/numpy/" not in mapped
        state = json.loads((tmp_path / "var" / "embedded.json").read_text())
        pids = [server["pid"] for server in state["servers"]]
        mongo_port = next(s["port"] for s in state["servers"] if s["name"] == "mongo")
        url = f"mongodb://127.0.0.1:{mongo_port}/?directConnection=true"
        with pymongo.MongoClient(url) as client:
            client.digitaly.probe.insert_one({"_id": "kept"})
        out = _interrupt(process)
        assert f"http://127.0.0.1:{port}" in out
        assert not any(alive(pid) for pid in pids), "embedded servers left behind"
        assert not (tmp_path / "var" / "embedded.json").exists()

    with _run(tmp_path, port) as process:
        _wait_ready(port, process)
        state = json.loads((tmp_path / "var" / "embedded.json").read_text())
        mongo_port = next(s["port"] for s in state["servers"] if s["name"] == "mongo")
        url = f"mongodb://127.0.0.1:{mongo_port}/?directConnection=true"
        with pymongo.MongoClient(url) as client:
            assert client.digitaly.probe.find_one({"_id": "kept"}) == {"_id": "kept"}
        _interrupt(process)


@pytest.mark.timeout(120)
def test_a_run_that_is_not_ready_in_time_leaves_nothing_running(tmp_path: Path) -> None:
    """The test's own failure ("not ready in time") still stops ``digitaly run``, its
    children and the embedded servers, though they run in sessions of their own."""
    port = _free_port()
    with pytest.raises(AssertionError, match="not ready in time"), _run(tmp_path, port) as process:
        state = tmp_path / "var" / "embedded.json"
        deadline = time.monotonic() + 90
        while not state.exists() and time.monotonic() < deadline:  # the servers are up
            assert process.poll() is None
            time.sleep(0.1)
        started = _ours(tmp_path, process)
        assert len(started) >= 3  # digitaly run and its two servers at least
        _wait_ready(port, process, timeout=0)

    assert not [pid for pid in started if _running(pid)]


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
