"""Benchmark 7: offering free times to a patient with 50,000 open slots in the unit.

50,000 open slots at one unit (10 specialties, 8 doctors each, every 15 minutes
over the coming months), inserted after the product's own ``ensure_schema`` made
the indexes. Timed: what one offer reads, ``store.slots.open_from`` for
the patient's specialty and doctor, then for the specialty alone (3 each, the
default ``rescheduling.offer_count``), with the plan ``explain()`` reports,
against the same query without the adapter's index hint (the planner's own
choice, what a real MongoDB runs) and forced to a collection scan
(``hint({"$natural": 1})``). The plan shows the keys and documents examined
when the server's ``explain`` reports them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.scan import _stages
from bench.seeding import generate_data_keys
from bench.servers import open_servers
from bot.adapters.codec import to_doc
from bot.adapters.crypto import create_cipher
from bot.adapters.mongo import MongoStore, create_mongo_client, ensure_schema
from bot.adapters.mongo.sealing import Sealer
from bot.adapters.mongo.slots import OFFER_ORDER, offer_index, offer_query
from bot.core.model import SlotQuery
from bot.core.ports import Slot

__all__ = ["run"]

SLOTS = 50_000
BATCH = 5_000
SPECIALTIES = 10
DOCTORS = 8
OFFER = 3


def _slot(n: int, now: datetime) -> dict[str, Any]:
    starts = now + timedelta(hours=1, minutes=15 * (n // (SPECIALTIES * DOCTORS)))
    slot = Slot(
        id=f"s{n}",
        external_id=f"VAGA-{n}",
        unit="centro",
        doctor=f"Dr. {n % DOCTORS}",
        specialty=f"especialidade-{(n // DOCTORS) % SPECIALTIES}",
        starts_at=starts,
        duration_minutes=15,
        day=starts.date().isoformat(),
    )
    return to_doc(slot)


async def _best_of(rounds: int, work: Callable[[], Awaitable[object]]) -> float:
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        await work()
        best = min(best, time.perf_counter() - began)
    return best


async def _measure(workdir: Path) -> list[dict[str, Any]]:
    cipher = create_cipher(workdir / "var", {"DIGITALY_DATA_KEYS": generate_data_keys()})
    async with contextlib.AsyncExitStack() as stack:
        servers = stack.enter_context(
            open_servers(workdir, "slots", standalone=True, durable=False)
        )
        client = await stack.enter_async_context(create_mongo_client(servers.mongodb_url))
        if servers.mongo_pid is None:  # a given server: drop the suite's database at the end
            stack.push_async_callback(client.drop_database, servers.db)
        store = MongoStore(client[servers.db], Sealer(cipher))
        now = datetime.now(UTC)
        collection = store.db["slots"]
        # Indexes first, as the product's start makes them, then the slots as they arrive.
        # (Bare slots then ensure_schema on a durable server took 23-25 minutes: SecantusDB's
        # --sync-on-commit syncs every index entry the build writes. Not durable: seconds.)
        await ensure_schema(store.db)
        for start in range(0, SLOTS, BATCH):
            docs = [_slot(n, now) for n in range(start, start + BATCH)]
            await collection.insert_many(docs, ordered=False)
        earliest = now + timedelta(hours=24)
        specialty, doctor = "especialidade-3", "Dr. 3"
        rows = []
        for name, mine in (("her doctor's", doctor), ("the specialty's", None)):
            wanted = SlotQuery("centro", specialty, earliest, mine)
            query = offer_query(wanted, now)

            def offer(query: dict[str, Any] = query) -> Any:
                return collection.find(query).sort(OFFER_ORDER).limit(OFFER)

            indexed = await _best_of(
                5,
                lambda wanted=wanted: store.slots.open_from(wanted, now, OFFER),
            )
            # The planner's own choice, without the adapter's hint: what a real MongoDB does.
            planned = await _best_of(5, lambda offer=offer: offer().to_list())
            scanned = await _best_of(
                1, lambda offer=offer: offer().hint([("$natural", 1)]).to_list()
            )
            # The 1-minute load average while timing: on shared cores it moves the times a lot.
            load = round(os.getloadavg()[0], 1)
            hinted_plan = await _plan(offer().hint(offer_index(mine)))
            own_plan = await _plan(offer())
            rows.append(
                {"figure": f"slot offer: {OFFER} of {name} times among {SLOTS:,} open slots in the unit, hinted, plan {hinted_plan}",
                 "value": round(indexed * 1000, 1), "unit": "ms", "baseline": round(scanned * 1000, 1),
                 "ratio": round(scanned / indexed, 1), "plan": hinted_plan, "load": load}
            )  # fmt: skip
            rows.append(
                {"figure": f"slot offer: {OFFER} of {name} times among {SLOTS:,} open slots in the unit, no hint, plan {own_plan}",
                 "value": round(planned * 1000, 1), "unit": "ms", "baseline": round(scanned * 1000, 1),
                 "ratio": round(scanned / planned, 1), "plan": own_plan, "load": load}
            )  # fmt: skip
    return rows


async def _plan(cursor: Any) -> str:
    """The winning plan's stages, and the keys and documents it examined when the server says."""
    explained = await cursor.explain()
    plan = " > ".join(_stages(explained["queryPlanner"]["winningPlan"]))
    stats = explained.get("executionStats") or {}
    if "totalKeysExamined" in stats:
        plan += (
            f" ({stats['totalKeysExamined']} keys, {stats.get('totalDocsExamined')} docs examined)"
        )
    return plan


def run() -> list[dict[str, Any]]:
    """Measure; rows of {figure, value, unit, baseline, ratio} (ratio: how many times faster)."""
    with tempfile.TemporaryDirectory(prefix="bench-slots-") as tmp:
        return asyncio.run(_measure(Path(tmp)))


if __name__ == "__main__":
    for row in run():
        print(row)
