"""Benchmark 4: the due-reminder scan over a large appointments collection.

Appointments are inserted in their stored form (sealed names and phones, the
schema's indexes in place) in batches of 10,000 (``insert_many``, unordered):
1 in 100 has its reminder due (``reminder_due_at`` a minute ago), 9 in 100 have
it due later, the rest have none (already reminded), so at 1,000,000 there are
10,000 due, as in a large network's morning. Inserting stops at 1,000,000 or
when ``BENCH_SCAN_SECONDS`` (default 100) of inserting are spent, whichever
comes first; the row says which size was reached (SecantusDB, the embedded
stand-in, inserts about 1,000 such documents a second; a real MongoDB reaches
1,000,000 in well under a minute).

Timed: the query ``reminders_due`` issues (``reminder_due_at <= now``, sorted,
``limit=10,000``), with the plan ``explain()`` reports, against the same query
forced to a collection scan (``hint({"$natural": 1})``); and the whole
``store.appointments.reminders_due(now, 10_000)`` call, which also opens the
sealed fields of every appointment it returns.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.seeding import appointment, bench_settings, generate_data_keys, open_store
from bench.servers import open_servers
from bot.adapters.codec import to_doc
from bot.adapters.mongo import MongoStore

__all__ = ["run"]

TARGET = 1_000_000
BATCH = 10_000
LIMIT = 10_000
PATIENTS = 1_000  # sealed values are reused across a patient's appointments, like real data


def _batch(
    store: MongoStore, start: int, now: datetime, sealed: list[dict[str, Any]]
) -> list[dict[str, Any]]:
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


async def _fill(store: MongoStore, now: datetime, budget: float) -> tuple[int, float]:
    """Insert up to ``TARGET`` appointments within ``budget`` seconds; (count, seconds)."""
    sealed = _sealed(store, now)
    collection = store.db["appointments"]
    began, count = time.monotonic(), 0
    while count < TARGET and time.monotonic() - began < budget:
        await collection.insert_many(_batch(store, count, now, sealed), ordered=False)
        count += BATCH
    return count, time.monotonic() - began


async def _best_of(rounds: int, work: Callable[[], Awaitable[object]]) -> float:
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        await work()
        best = min(best, time.perf_counter() - began)
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
    budget = float(os.environ.get("BENCH_SCAN_SECONDS", "100"))
    data_keys = generate_data_keys()
    with open_servers(workdir, "scan") as servers:
        settings = bench_settings(servers, workdir)
        async with open_store(settings, data_keys) as store:
            now = datetime.now(UTC)
            count, fill_seconds = await _fill(store, now, budget)
            bare = store.db["appointments_unindexed"]  # the same documents, only the _id index
            began = time.monotonic()
            await bare.insert_many(_batch(store, 0, now, _sealed(store, now)), ordered=False)
            bare_rate = BATCH / (time.monotonic() - began)
            print(
                f"  inserted {count:,} appointments in {fill_seconds:.0f}s ({count / fill_seconds:,.0f}/s)",
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
    size = f"{count:,} appointments" + (
        "" if count >= TARGET else f" (of {TARGET:,}: insert budget {budget:.0f}s)"
    )
    return [
        {"figure": f"reminder scan: {found:,} due of {size}, plan {plan}", "value": round(indexed * 1000, 1),
         "unit": "ms", "baseline": round(scanned * 1000, 1), "ratio": round(scanned / indexed, 1), "plan": plan},
        {"figure": "reminder scan: reminders_due() with decoding, against the raw indexed query", "value": round(service * 1000, 1),
         "unit": "ms", "baseline": round(indexed * 1000, 1), "ratio": round(service / indexed, 1)},
        {"figure": "reminder scan: appointments inserted/s with the schema's indexes, against none", "value": round(count / fill_seconds),
         "unit": "docs/s", "baseline": round(bare_rate), "ratio": round(count / fill_seconds / bare_rate, 2)},
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
