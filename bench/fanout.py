"""Benchmark 3: 10,000 due reminders through the workers to (fake) Twilio, one sender at 80/s.

The appointments are stored with their reminder due, all at one unit (one
WhatsApp sender, so one rate limit); ``ReminderService.send_due`` starts their
conversations in this process, as the scheduler does, which writes each
reminder to the outbox and hands it to the queue. Then two
``python -m bot worker`` processes and a ``python -m bot scheduler`` (the
outbox sweeper) send them to the fake Twilio running in its own process. The
figures come from the fake's request log: the achieved rate from the first to
the last create (``(n - 1) / span``) against ``rate_limits.messages_per_second``,
and the most creates in any one-second window against that limit plus ``burst``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bench.processes import children, free_port, product_env, spawn, wait_http
from bench.seeding import (
    appointment,
    bench_settings,
    generate_data_keys,
    in_batches,
    open_store,
    product_services,
)
from bench.servers import open_servers
from bot.adapters.codec import to_doc
from bot.adapters.mongo import MongoStore
from bot.adapters.queue import TaskiqQueue
from bot.core.model import Appointment
from bot.services.reminders import reminder_id
from bot.settings import SendingHours, Settings
from workers.broker import create_broker

__all__ = ["run"]

REMINDERS = 10_000
SAMPLE = 1_000  # started through the scheduler's own due scan, timed
PUBLIC = "https://digitaly.bench"
WORKERS = 2
SEND_DEADLINE = 600.0  # seconds; 10,000 at 80/s needs 125


def _clock() -> datetime:
    return datetime.now(UTC)


def _always_open(settings: Settings) -> Settings:
    """Sending hours around the clock: the bench must not depend on the hour it runs at."""
    hours = SendingHours(start=clock_time(0, 0), end=clock_time(23, 59, 59, 999999), sundays=True)
    reminders = settings.reminders.model_copy(update={"sending_hours": hours})
    units = [unit.model_copy(update={"sending_hours": None}) for unit in settings.units]
    return settings.model_copy(update={"reminders": reminders, "units": units})


async def _due_reminders(store: MongoStore, now: datetime) -> None:
    """``REMINDERS`` appointments tomorrow at one unit, each with its reminder due a minute ago."""
    for start in range(0, REMINDERS, 1000):
        docs = []
        for n in range(start, start + 1000):
            item = appointment(n, now + timedelta(hours=20, minutes=n % 600), unit="centro")
            doc = store.sealer.encode("appointments", to_doc(item))
            doc["reminder_due_at"] = now - timedelta(minutes=1)
            docs.append(doc)
        await store.db["appointments"].insert_many(docs, ordered=False)


async def _start_conversations(settings: Settings, store: MongoStore) -> float:
    """Start every reminder's conversation; return the due scan's own rate (starts per second).

    The first ``SAMPLE`` go through ``send_due``, the scheduler's scan, timed; the
    rest are started the same way (claim, start, clear the due mark), 16 at a time,
    only to keep the bench short.
    """
    broker = create_broker(settings)
    redis = Redis.from_url(settings.redis_url or "")
    try:
        services = product_services(settings, store, TaskiqQueue(broker), redis, _clock)
        began = time.monotonic()
        assert await services.reminders.send_due(limit=SAMPLE) == SAMPLE
        rate = SAMPLE / (time.monotonic() - began)

        async def start(item: Appointment) -> None:
            assert await services.conversations.start(
                reminder_id(item), settings.reminders.flow, [item]
            )
            await store.appointments.set_reminder_due(item.id, None)

        await in_batches(start, await store.appointments.reminders_due(_clock(), REMINDERS))
        return rate
    finally:
        await broker.shutdown()
        await redis.aclose()


def _log(url: str) -> list[tuple[float, int, str]]:
    with urllib.request.urlopen(f"{url}/_bench/log", timeout=10) as answer:  # noqa: S310 - loopback
        return [(float(at), int(status), str(key)) for at, status, key in json.load(answer)]


def _created(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_bench/created", timeout=10) as answer:  # noqa: S310 - loopback
        return int(json.load(answer))


def _max_in_one_second(times: list[float]) -> int:
    best, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


async def _measure(workdir: Path) -> list[dict[str, Any]]:
    data_keys = generate_data_keys()
    with open_servers(workdir, "fanout") as servers, children() as started:
        twilio_port = free_port()
        twilio_url = f"http://127.0.0.1:{twilio_port}"
        twilio = {
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "bench-auth-token",
            "TWILIO_API_BASE_URL": twilio_url, "PUBLIC_BASE_URL": PUBLIC,
        }  # fmt: skip
        settings = _always_open(bench_settings(servers, workdir, **twilio))
        limit, burst = settings.rate_limits.messages_per_second, settings.rate_limits.burst
        env = product_env(
            servers.mongodb_url,
            servers.redis_url,
            servers.db,
            workdir,
            DIGITALY_DATA_KEYS=data_keys,
            **twilio,
        )
        fake = spawn(
            ["-m", "bench.twilio_fake", "--port", str(twilio_port)],
            env,
            workdir / "twilio.log",
            instrument=True,
        )
        started.append(fake)
        async with open_store(settings, data_keys) as store:
            now = datetime.now(UTC)
            await _due_reminders(store, now)
            seeding = time.monotonic()
            scan_rate = await _start_conversations(settings, store)
            print(
                f"  {REMINDERS} reminder conversations started in {time.monotonic() - seeding:.0f}s",
                file=sys.stderr,
            )
            wait_http(f"{twilio_url}/_bench/log", fake)
            began = time.monotonic()
            started.append(spawn(["-m", "bot", "scheduler"], env, workdir / "scheduler.log"))
            for n in range(WORKERS):
                started.append(spawn(["-m", "bot", "worker"], env, workdir / f"worker{n}.log"))
            while time.monotonic() - began < SEND_DEADLINE:
                await asyncio.sleep(2.0)
                if _created(twilio_url) >= REMINDERS:
                    break
            created = [r for r in _log(twilio_url) if r[1] == 201]
            sent_state = await store.db["outbox"].count_documents({"state": "sent"})
            rehanded = await store.db["outbox"].count_documents({"kicked_at": {"$ne": None}})
    times = sorted(at for at, _, _ in created)
    keys = [key for _, _, key in created]
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span else 0.0
    window = _max_in_one_second(times)
    wall = time.monotonic() - began
    print(
        f"  {len(times)} sent in {span:.1f}s ({wall:.1f}s after the workers started), "
        f"{sent_state} marked sent, {rehanded} re-handed by the sweeper",
        file=sys.stderr,
    )
    return [
        {"figure": f"fan-out: {REMINDERS:,} reminders, 2 workers, achieved rate ({span:.0f} s)", "value": round(rate, 1),
         "unit": "msgs/s", "baseline": limit, "ratio": round(rate / limit, 3),
         "rehanded_by_sweeper": rehanded, "seconds_after_workers_started": round(wall, 1)},
        {"figure": f"fan-out: most sends in any 1 s window (limit {limit:g} + burst {burst})", "value": window,
         "unit": "msgs", "baseline": limit + burst, "ratio": round(window / (limit + burst), 3)},
        {"figure": "fan-out: distinct reminders created at Twilio (none lost)", "value": len(set(keys)),
         "unit": "msgs", "baseline": REMINDERS, "ratio": round(len(set(keys)) / REMINDERS, 3),
         "duplicates": len(keys) - len(set(keys))},
        {"figure": "fan-out: reminders started by one due scan (send_due)", "value": round(scan_rate, 1),
         "unit": "starts/s", "baseline": limit, "ratio": round(scan_rate / limit, 2)},
    ]  # fmt: skip


def run() -> list[dict[str, Any]]:
    """Measure; rows of {figure, value, unit, baseline, ratio} (ratio = value / baseline)."""
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        return asyncio.run(_measure(Path(tmp)))


if __name__ == "__main__":
    for row in run():
        print(row)
