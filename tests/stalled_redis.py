"""A Redis-wire server of the test's own that can stop answering: the embedded Valkey, paused.

``SIGSTOP`` leaves its socket open and the kernel still accepts connections
into its backlog and takes the bytes sent, but nothing answers: what a Redis
stuck on a slow disk, or a host frozen behind a live connection, looks like
to a client. Never the session's shared server: pausing it would stall every
other test.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.adapters.embedded import start_valkey, stop_server

__all__ = ["StalledRedis", "stallable_redis"]


@dataclass
class StalledRedis:
    url: str
    pid: int

    def pause(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)


@contextlib.contextmanager
def stallable_redis(data_dir: Path) -> Iterator[StalledRedis]:
    """A fresh Valkey under ``data_dir``, answering until :meth:`StalledRedis.pause`;
    resumed and stopped at the end."""
    pid, port = start_valkey(data_dir)
    server = StalledRedis(f"redis://127.0.0.1:{port}/0", pid)
    try:
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.resume()  # a stopped process takes its SIGTERM only once it runs
        stop_server(pid)
