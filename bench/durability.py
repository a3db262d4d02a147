"""Benchmark: what durability costs: journaled writes and an embedded server that syncs on commit.

The product's writes that an external effect follows (the conversation step's
transaction, the outbox's marks, the inbound message) use write concern
``j: true``, and the embedded SecantusDB runs with ``--sync-on-commit``. Each row
inserts ``INSERTS`` small documents one by one, the same way, on two fresh
servers started in this run: without ``--sync-on-commit`` (the old embedded
default) and with it. The baseline of every row is the old default:
``w: 1`` with no journaling, on a server without ``--sync-on-commit``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from pymongo import MongoClient, WriteConcern

from bot.adapters.embedded import start_mongo, stop_server

__all__ = ["run"]

INSERTS = 500


def _rate(client: MongoClient[dict[str, Any]], name: str, concern: WriteConcern) -> float:
    """Acknowledged inserts per second with ``concern``."""
    collection = client["bench"].get_collection(name, write_concern=concern)
    collection.insert_one({"warm": True})
    began = time.perf_counter()
    for n in range(INSERTS):
        collection.insert_one({"n": n, "state": "sending", "key": f"c{n}:reminder"})
    return INSERTS / (time.perf_counter() - began)


def _measure(workdir: Path, *, durable: bool) -> tuple[float, float]:
    """(inserts/s with w:1, inserts/s with j:true) on a fresh server."""
    pid, port = start_mongo(workdir, durable=durable)
    url = f"mongodb://127.0.0.1:{port}/?retryWrites=false&directConnection=true"
    try:
        with MongoClient(url) as client:
            return _rate(client, "plain", WriteConcern(w=1)), _rate(
                client, "journaled", WriteConcern(w=1, j=True)
            )
    finally:
        stop_server(pid)


def _row(figure: str, value: float, baseline: float) -> dict[str, Any]:
    return {
        "figure": figure,
        "value": round(value, 1),
        "unit": "inserts/s",
        "baseline": round(baseline, 1),
        "ratio": round(value / baseline, 3),
    }


def run() -> list[dict[str, Any]]:
    """Rows of {figure, value, unit, baseline, ratio}; the baseline is w:1 without sync."""
    with tempfile.TemporaryDirectory(prefix="bench-durability-") as tmp:
        plain, journaled = _measure(Path(tmp) / "plain", durable=False)
        synced_plain, synced_journaled = _measure(Path(tmp) / "synced", durable=True)
    return [
        _row(f"durability: {INSERTS} inserts with j:true (no --sync-on-commit)", journaled, plain),
        _row(f"durability: {INSERTS} inserts, --sync-on-commit, w:1", synced_plain, plain),
        _row(
            f"durability: {INSERTS} inserts, --sync-on-commit, j:true (the product's)",
            synced_journaled,
            plain,
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
