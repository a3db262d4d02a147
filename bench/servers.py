"""The servers a suite runs against: ``MONGODB_URL`` / ``REDIS_URL`` if set, else fresh embedded ones.

Embedded servers are the product's own (SecantusDB and Valkey as separate
processes, :mod:`bot.adapters.embedded`), with their data in the suite's temp
dir, stopped when the block ends. Against given URLs every suite works in a
database of its own (``bench_<suite>_<random>``), dropped at the end; Redis
keys use the product's ``digitaly:`` prefix, so never point ``REDIS_URL`` at a
production Redis.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.adapters.embedded import start_mongo, start_valkey, stop_server

__all__ = ["Servers", "open_servers"]


@dataclass(frozen=True)
class Servers:
    mongodb_url: str
    redis_url: str
    db: str  # this suite's database name
    mongo_pid: int | None  # the embedded server's pid (None for a given MONGODB_URL)


@contextmanager
def open_servers(
    workdir: Path, suite: str, *, standalone: bool = False, durable: bool = True
) -> Iterator[Servers]:
    """``standalone``: an embedded MongoDB-wire server without an oplog (no transactions).

    ``durable=False``: without ``--sync-on-commit``, for the bulk loads of suites that time
    reads: SecantusDB syncs every index entry an index build writes (``ensure_schema`` over
    20,000 bare slots: 116 s durable, 5.4 s not)."""
    with ExitStack() as stack:
        mongo_pid = None
        if not (mongodb_url := os.environ.get("MONGODB_URL", "")):
            mongo_pid, port = start_mongo(workdir, standalone=standalone, durable=durable)
            stack.callback(stop_server, mongo_pid)
            mongodb_url = f"mongodb://127.0.0.1:{port}/?retryWrites=false&directConnection=true"
        if not (redis_url := os.environ.get("REDIS_URL", "")):
            pid, port = start_valkey(workdir)
            stack.callback(stop_server, pid)
            redis_url = f"redis://127.0.0.1:{port}/0"
        yield Servers(mongodb_url, redis_url, f"bench_{suite}_{uuid.uuid4().hex[:8]}", mongo_pid)
