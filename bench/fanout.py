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

import argparse
import asyncio
import base64
import contextlib
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bench.processes import ROOT, children, config_copy, cpu_seconds, free_port, product_env, spawn
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


@dataclass(frozen=True)
class Case:
    """One sender's limit, how many reminders it sends and how many worker processes send them."""

    rate: float  # rate_limits.messages_per_second
    reminders: int
    workers: int


# Twilio's default WhatsApp sender rate, and the rate it raises a sender to on request. At
# 400/s the row reports what this machine's storage bounds it to when it cannot reach it.
CASES = (Case(80.0, REMINDERS, WORKERS), Case(400.0, 4_000, 4))


def _clock() -> datetime:
    return datetime.now(UTC)


def _always_open(settings: Settings) -> Settings:
    """Sending hours around the clock: the bench must not depend on the hour it runs at."""
    hours = SendingHours(start=clock_time(0, 0), end=clock_time(23, 59, 59, 999999), sundays=True)
    reminders = settings.reminders.model_copy(update={"sending_hours": hours})
    units = [unit.model_copy(update={"sending_hours": None}) for unit in settings.units]
    return settings.model_copy(update={"reminders": reminders, "units": units})


def _own_port(env: dict[str, str]) -> dict[str, str]:
    """A worker's or scheduler's operator port (METRICS_PORT, 9100 by default) of its own:
    several share this machine, and another program may hold 9100."""
    return {**env, "METRICS_PORT": str(free_port())}


def _config(workdir: Path, rate: float) -> Path:
    """The shipped config.yaml with the sender's limit set to ``rate``."""
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    text, found = re.subn(
        r"^(\s+messages_per_second:) \S+$", rf"\1 {rate:g}", text, count=1, flags=re.M
    )
    assert found == 1, "config.yaml: rate_limits.messages_per_second not found"
    return config_copy(workdir, text)


async def _due_reminders(store: MongoStore, now: datetime, count: int) -> None:
    """``count`` appointments tomorrow at one unit, each with its reminder due a minute ago."""
    for start in range(0, count, 1000):
        docs = []
        for n in range(start, min(start + 1000, count)):
            item = appointment(n, now + timedelta(hours=20, minutes=n % 600), unit="centro")
            doc = store.sealer.encode("appointments", to_doc(item))
            doc["reminder_due_at"] = now - timedelta(minutes=1)
            docs.append(doc)
        await store.db["appointments"].insert_many(docs, ordered=False)


async def _start_conversations(settings: Settings, store: MongoStore, count: int) -> float:
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

        await in_batches(start, await store.appointments.reminders_due(_clock(), count))
        return rate
    finally:
        await broker.shutdown()
        await redis.aclose()


def _read(url: str, auth: str) -> Any:
    """A ``/_bench`` read at the fake, with the account's credentials (it refuses any other)."""
    request = urllib.request.Request(url, headers={"Authorization": auth})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
        return json.load(answer)


def _log(url: str, auth: str) -> list[tuple[float, int, str]]:
    return [
        (float(at), int(status), str(key)) for at, status, key in _read(f"{url}/_bench/log", auth)
    ]


def _created(url: str, auth: str) -> int:
    return int(_read(f"{url}/_bench/created", auth))


async def _until_up(url: str, auth: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"the fake Twilio exited with {process.returncode}")
        with contextlib.suppress(OSError):
            _created(url, auth)
            return
        await asyncio.sleep(0.5)
    raise TimeoutError("the fake Twilio did not answer in 300 s")


def _max_in_one_second(times: list[float]) -> int:
    best, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


async def _measure(workdir: Path, case: Case) -> list[dict[str, Any]]:
    data_keys = generate_data_keys()
    count = case.reminders
    with open_servers(workdir, "fanout") as servers, children() as started:
        twilio_port = free_port()
        twilio_url = f"http://127.0.0.1:{twilio_port}"
        twilio = {
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "bench-auth-token",
            "TWILIO_API_BASE_URL": twilio_url, "PUBLIC_BASE_URL": PUBLIC,
            "DIGITALY_CONFIG": str(_config(workdir, case.rate)),
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
        account, token = twilio["TWILIO_ACCOUNT_SID"], twilio["TWILIO_AUTH_TOKEN"]
        auth = "Basic " + base64.b64encode(f"{account}:{token}".encode()).decode()
        fake = spawn(
            [
                "-m",
                "bench.twilio_fake",
                "--port",
                str(twilio_port),
                "--account",
                account,
                "--token",
                token,
            ],
            env,
            workdir / "twilio.log",
            instrument=True,
        )
        started.append(fake)
        async with open_store(settings, data_keys) as store:
            now = datetime.now(UTC)
            await _due_reminders(store, now, count)
            seeding = time.monotonic()
            scan_rate = await _start_conversations(settings, store, count)
            print(
                f"  {count} reminder conversations started in {time.monotonic() - seeding:.0f}s",
                file=sys.stderr,
            )
            await _until_up(twilio_url, auth, fake)
            began = time.monotonic()
            started.append(
                spawn(["-m", "bot", "scheduler"], _own_port(env), workdir / "scheduler.log")
            )
            workers = [
                spawn(["-m", "bot", "worker"], _own_port(env), workdir / f"worker{n}.log")
                for n in range(case.workers)
            ]
            started.extend(workers)
            pids = [w.pid for w in workers] + ([servers.mongo_pid] if servers.mongo_pid else [])
            # CPU counted from the first send on: a worker's start-up (imports) is not a send's.
            while _created(twilio_url, auth) == 0 and time.monotonic() - began < SEND_DEADLINE:  # noqa: ASYNC110 - a count in another process
                await asyncio.sleep(0.1)
            sent_before = _created(twilio_url, auth)
            cpu_before = [cpu_seconds(pid) for pid in pids]
            while time.monotonic() - began < SEND_DEADLINE:
                await asyncio.sleep(2.0)
                if _created(twilio_url, auth) >= count:
                    break
            cpu = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True)]
            created = [r for r in _log(twilio_url, auth) if r[1] == 201]
            sent_state = await store.db["outbox"].count_documents({"state": "sent"})
            rehanded = await store.db["outbox"].count_documents({"kicked_at": {"$ne": None}})
    times = sorted(at for at, _, _ in created)
    keys = [key for _, _, key in created]
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span else 0.0
    window = _max_in_one_second(times)
    wall = time.monotonic() - began
    worker_cpu, storage_cpu = sum(cpu[: case.workers]), sum(cpu[case.workers :])
    sends = max(len(times) - sent_before, 1)  # the sends the CPU figures cover
    print(
        f"  {len(times)} sent in {span:.1f}s ({wall:.1f}s after the workers started), "
        f"{sent_state} marked sent, {rehanded} re-handed by the sweeper; CPU: workers "
        f"{worker_cpu:.1f}s ({worker_cpu * 1e3 / sends:.2f} ms/send), storage {storage_cpu:.1f}s "
        f"({storage_cpu * 1e3 / sends:.2f} ms/send) in {wall:.0f}s",
        file=sys.stderr,
    )
    at = f"{limit:g}/s"
    cpu_detail = {
        "worker_cpu_s": round(worker_cpu, 1), "storage_cpu_s": round(storage_cpu, 1),
        "worker_ms_per_send": round(worker_cpu * 1e3 / sends, 2),
        "storage_ms_per_send": round(storage_cpu * 1e3 / sends, 2),
    }  # fmt: skip
    return [
        {"figure": f"fan-out {at}: {count:,} reminders, {case.workers} workers, achieved rate ({span:.0f} s)", "value": round(rate, 1),
         "unit": "msgs/s", "baseline": limit, "ratio": round(rate / limit, 3),
         "rehanded_by_sweeper": rehanded, "seconds_after_workers_started": round(wall, 1), **cpu_detail},
        {"figure": f"fan-out {at}: most sends in any 1 s window (limit {limit:g} + burst {burst})", "value": window,
         "unit": "msgs", "baseline": limit + burst, "ratio": round(window / (limit + burst), 3)},
        {"figure": f"fan-out {at}: distinct reminders created at Twilio (none lost)", "value": len(set(keys)),
         "unit": "msgs", "baseline": count, "ratio": round(len(set(keys)) / count, 3),
         "duplicates": len(keys) - len(set(keys))},
        {"figure": f"fan-out {at}: reminders started by one due scan (send_due)", "value": round(scan_rate, 1),
         "unit": "starts/s", "baseline": limit, "ratio": round(scan_rate / limit, 2)},
    ]  # fmt: skip


def run(cases: tuple[Case, ...] = CASES) -> list[dict[str, Any]]:
    """Measure; rows of {figure, value, unit, baseline, ratio} (ratio = value / baseline)."""
    rows: list[dict[str, Any]] = []
    for case in cases:
        with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
            rows += asyncio.run(_measure(Path(tmp), case))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, help="one sender's limit (default: every case)")
    parser.add_argument("--reminders", type=int, default=REMINDERS)
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args()
    cases = CASES if args.rate is None else (Case(args.rate, args.reminders, args.workers),)
    for row in run(cases):
        print(row)


if __name__ == "__main__":
    main()
