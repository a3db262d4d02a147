"""Benchmark 4: the due-reminder scan over a large appointments collection.

1,000,000 appointments in their stored form (sealed names and phones, copied
from 1,000 precomputed patients): 1 in 100 has its reminder due
(``reminder_due_at`` a minute ago), 9 in 100 have it due later, the rest have
none (already reminded), so 10,000 are due, as in a large network's morning.

Loading: SecantusDB, the embedded stand-in, inserts only about 1,800 documents
a second with the schema's indexes in place (9 minutes for a million), so the
first 990,000 go into the bare collection in batches of 10,000
(``insert_many``, unordered), then the product's own ``ensure_schema`` builds
the indexes over them, as when the product starts on a restored database, and
the last 10,000 are inserted with the indexes in place, which times that rate.
The bare insertion stops early after ``BENCH_SCAN_SECONDS`` (default 90) and
the row says the size reached; the index build takes 2 to 3 times as long
again and the collection scan a third to a half, so the whole suite stays
under about 4.5 x ``BENCH_SCAN_SECONDS`` (a million: about 80 s bare, 160-230 s
of index build, 30-40 s of collection scan on 2 shared cores).

The suite's SecantusDB runs standalone (``--standalone``): as the embedded
replica-set primary it also writes every insert to its oplog and prunes it,
which more than halves the bare insert rate; the query and its plan are the
same either way. Its database is not
dropped at the end (SecantusDB deletes row by row: 3 minutes for this one); it
goes with the temp dir. Against ``MONGODB_URL`` the suite's database is dropped.

Timed: the query ``reminders_due`` issues (``reminder_due_at <= now``, sorted,
``limit=10,000``), with the plan ``explain()`` reports, against the same query
forced to a collection scan (``hint({"$natural": 1})``, one run: it reads every
document); and the whole ``store.appointments.reminders_due(now, 10_000)``
call, which also opens the sealed fields of every appointment it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from bench.seeding import appointment, generate_data_keys
from bench.servers import open_servers
from bot.adapters.codec import to_doc
from bot.adapters.crypto import create_cipher
from bot.adapters.mongo import MongoStore, create_mongo_client, ensure_schema
from bot.adapters.mongo.sealing import Sealer

__all__ = ["run"]

TARGET = 1_000_000
BATCH = 10_000
LIMIT = 10_000
PATIENTS = 1_000  # sealed values are reused across a patient's appointments, like real data


def _batch(start: int, now: datetime, sealed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    docs = []
    for n in range(start, start + BATCH):
        doc = {**sealed[n % PATIENTS], "_id": f"a{n}", "external_id": f"BENCH-{n}"}
        doc["starts_at"] = now + timedelta(days=n % 60, minutes=15 * (n % 40))
        if n % 100 == 0:
            doc["reminder_due_at"] = now - timedelta(minutes=1)
        elif n % 100 < 10:
            doc["reminder_due_at"] = now + timedelta(hours=1 + n % 48)
        docs.append(doc)
    return docs


def _sealed(store: MongoStore, now: datetime) -> list[dict[str, Any]]:
    """One stored appointment per patient, to copy from."""
    sealed = []
    for n in range(PATIENTS):
        doc = store.sealer.encode("appointments", to_doc(appointment(n, now)))
        doc.pop("reminder_due_at")
        sealed.append(doc)
    return sealed


async def _timed(work: Awaitable[object]) -> float:
    began = time.perf_counter()
    await work
    return time.perf_counter() - began


class _Loaded(NamedTuple):
    bare: int  # appointments inserted before the indexes existed
    bare_s: float
    build_s: float  # ensure_schema() over them
    last_s: float  # the last BATCH, inserted with the indexes in place


async def _load(store: MongoStore, now: datetime, budget: float) -> _Loaded:
    """Fill ``appointments`` as the module docstring says."""
    sealed = _sealed(store, now)
    collection = store.db["appointments"]
    began, bare = time.perf_counter(), 0
    while bare < TARGET - BATCH and time.perf_counter() - began < budget:
        await collection.insert_many(_batch(bare, now, sealed), ordered=False)
        bare += BATCH
    bare_s = time.perf_counter() - began
    build_s = await _timed(ensure_schema(store.db))
    last_s = await _timed(collection.insert_many(_batch(bare, now, sealed), ordered=False))
    return _Loaded(bare, bare_s, build_s, last_s)


async def _best_of(rounds: int, work: Callable[[], Awaitable[object]]) -> float:
    best = float("inf")
    for _ in range(rounds):
        best = min(best, await _timed(work()))
    return best


def _stages(plan: dict[str, Any]) -> list[str]:
    """The plan's stages, outermost first, e.g. ['LIMIT', 'FETCH', 'IXSCAN reminder_due']."""
    stages = []
    while plan:
        name = plan.get("stage", "?")
        stages.append(f"{name} {plan['indexName']}" if "indexName" in plan else name)
        plan = plan.get("inputStage") or {}
    return stages


async def _measure(workdir: Path) -> list[dict[str, Any]]:
    budget = float(os.environ.get("BENCH_SCAN_SECONDS", "90"))
    cipher = create_cipher(workdir / "var", {"DIGITALY_DATA_KEYS": generate_data_keys()})
    async with contextlib.AsyncExitStack() as stack:
        servers = stack.enter_context(open_servers(workdir, "scan", standalone=True, durable=False))
        client = await stack.enter_async_context(create_mongo_client(servers.mongodb_url))
        if servers.mongo_pid is None:  # a given server: drop the suite's database at the end
            stack.push_async_callback(client.drop_database, servers.db)
        store = MongoStore(client[servers.db], Sealer(cipher))
        now = datetime.now(UTC)
        load = await _load(store, now, budget)
        print(
            f"  inserted {load.bare:,} appointments bare in {load.bare_s:.0f}s, ensure_schema"
            f" built their indexes in {load.build_s:.0f}s, the last {BATCH:,} took"
            f" {load.last_s:.1f}s with the indexes in place",
            file=sys.stderr,
        )
        collection = store.db["appointments"]
        query = {"reminder_due_at": {"$lte": now}}

        def due() -> Any:
            return collection.find(query).sort("reminder_due_at", 1).limit(LIMIT)

        explained = await due().explain()
        plan = " > ".join(_stages(explained["queryPlanner"]["winningPlan"]))
        found = len(await due().to_list())
        indexed = await _best_of(3, lambda: due().to_list())
        scanned = await _best_of(1, lambda: due().hint([("$natural", 1)]).to_list())
        service = await _best_of(3, lambda: store.appointments.reminders_due(now, LIMIT))
    count = load.bare + BATCH
    size = f"{count:,} appointments" + (
        "" if count >= TARGET else f" (of {TARGET:,}: insert budget {budget:.0f}s)"
    )
    bare_rate, indexed_rate = load.bare / load.bare_s, BATCH / load.last_s
    return [
        {"figure": f"reminder scan: {found:,} due of {size}, plan {plan}", "value": round(indexed * 1000, 1),
         "unit": "ms", "baseline": round(scanned * 1000, 1), "ratio": round(scanned / indexed, 1), "plan": plan},
        {"figure": "reminder scan: reminders_due() with decoding, against the raw indexed query", "value": round(service * 1000, 1),
         "unit": "ms", "baseline": round(indexed * 1000, 1), "ratio": round(service / indexed, 1)},
        {"figure": f"reminder scan: ensure_schema() indexing {load.bare:,} appointments, against inserting them bare",
         "value": round(load.build_s, 1), "unit": "s", "baseline": round(load.bare_s, 1), "ratio": round(load.build_s / load.bare_s, 2)},
        {"figure": f"reminder scan: appointments inserted/s with the schema's indexes (the last {BATCH:,}), against none",
         "value": round(indexed_rate), "unit": "docs/s", "baseline": round(bare_rate), "ratio": round(indexed_rate / bare_rate, 2)},
    ]  # fmt: skip


def run() -> list[dict[str, Any]]:
    """Measure; rows of {figure, value, unit, baseline, ratio}.

    The scan's ratio is baseline / value (how many times faster the index makes it).
    """
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        return asyncio.run(_measure(Path(tmp)))


if __name__ == "__main__":
    for row in run():
        print(row)
