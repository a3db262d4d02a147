"""Child processes of a suite: start them with an environment, watch them, always stop them."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "ROOT",
    "children",
    "config_copy",
    "cpu_seconds",
    "free_port",
    "product_env",
    "rss_mb",
    "spawn",
    "stop",
    "wait_http",
]

ROOT = Path(__file__).resolve().parents[1]
_TICKS = os.sysconf("SC_CLK_TCK")


def config_copy(workdir: Path, text: str) -> Path:
    """``text`` (an edited config.yaml) as ``workdir/config.yaml``, with the repository's
    flows named: relative folders in a config file outside the working directory are
    resolved beside it (``bot.settings``), where the suite's temp dir has no flows."""
    path = workdir / "config.yaml"
    path.write_text(f"{text}\nflows_dir: {ROOT / 'flows'}\n", encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def product_env(
    mongodb_url: str, redis_url: str, db: str, workdir: Path, **extra: str
) -> dict[str, str]:
    """What a ``python -m bot ...`` process needs; ``extra`` adds or overrides variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    env.update(
        {
            "DIGITALY_CONFIG": str(ROOT / "config.yaml"),
            "MONGODB_URL": mongodb_url,
            "MONGODB_DB": db,
            "REDIS_URL": redis_url,
            "DATA_DIR": str(workdir / "var"),
            "LOG_LEVEL": "INFO",  # what production runs with: logging is part of the cost
        }
    )
    env.update(extra)
    return env


def spawn(
    args: list[str], env: dict[str, str], log: Path, *, instrument: bool = False
) -> subprocess.Popen[bytes]:
    """Start ``python args...`` in the repository, output to ``log``.

    An ``instrument`` (what timestamps the figures, like the fake Twilio) runs at a
    higher priority when the bench may raise it (as root), so a busy machine delays
    what it measures, not its clock.
    """
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    if instrument:
        with contextlib.suppress(PermissionError):
            os.setpriority(os.PRIO_PROCESS, process.pid, -10)
    return process


def stop(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` (an idle taskiq worker may ignore one SIGTERM)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    """A list to append started processes to; all are stopped when the block ends."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in reversed(started):
            stop(process)


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 900.0) -> None:
    """Until ``url`` answers 2xx; fail early if ``process`` exits.

    Generous: a web process builds its flows' reply models before it answers, seconds of
    CPU that take minutes on a shared machine under load.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - our loopback URL
            if answer.status < 300:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


def rss_mb(pid: int) -> float:
    """Resident memory (VmRSS) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS
