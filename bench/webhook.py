"""Benchmarks 1 and 6: the inbound webhook end to end, and the web process's resident memory.

The process under test is ``python -m bot web`` with Twilio credentials set,
so every signature is really checked. ``PATIENTS`` patients have a reminder
conversation running; the load generator (:mod:`bench.load`, its own process)
posts signed replies round-robin over them at offered rates growing by
``GROWTH`` each step, until the server stops keeping up. Every reply is "2",
which moves the conversation between "really cancel?" and "kept" for ever, so
each message is a full turn: signature, store, lock, load, ``engine.step``, one
transaction (new state + outbox entry + message marked processed), hand-off to
the queue. A turn runs after the 200 answer, so completion is read from the
stored messages (``processed_at - received_at``), not from the HTTP answer.

The baseline (:mod:`bench.bare`) is a bare aiohttp handler making as many
MongoDB round trips as one webhook costs, counted by a pymongo
``CommandListener`` on the real app in this process, and nothing else: the
turn's ``bulkWrite`` as one ``bulkWrite`` of the same number of updates
(``bare_bulk=True``, the default: the same round trips as the turn), or each
operation its own round trip (``--bare-per-op``: the baseline before issue 20's
seventh round, when the turn sent its writes one by one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from pymongo import monitoring
from redis.asyncio import Redis

from bench.load import PATH, percentiles, step_range
from bench.processes import (
    ROOT,
    children,
    config_copy,
    cpu_seconds,
    free_port,
    product_env,
    rss_mb,
    spawn,
    wait_http,
)
from bench.seeding import (
    appointment,
    bench_settings,
    generate_data_keys,
    in_batches,
    open_store,
    phone,
    product_services,
)
from bench.servers import open_servers
from bot.adapters.memory import MemoryQueue
from bot.adapters.mongo import MongoStore, create_mongo_client
from bot.adapters.mongo.opening import connect_store
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import MONGO, SCHEMA_READY, STORE, TURNS
from tests.fakes.twilio_inbound import webhook_form
from tests.twilio_signing import message_sid, signature

__all__ = ["PATIENTS", "STEP_SECONDS", "Bench", "open_bench", "run", "run_step"]

TOKEN = "bench-auth-token"
PUBLIC = "https://digitaly.bench"
PATIENTS = 2000
STEP_SECONDS = 5.0
FIRST_RATE = 20.0
GROWTH = 1.4
MAX_STEPS = 12
KEPT_UP = 0.9  # a step keeps up when it completes this share of the offered rate ...
MAX_P99_MS = 1000.0  # ... with its 99th percentile under this
DRAIN_SECONDS = 60.0
READS = frozenset({"find", "aggregate", "count", "getMore", "distinct"})


@dataclass
class Step:
    offered: float
    completed: int
    achieved: float  # completions per second, from the first arrival to the last completion
    latency: dict[str, float]  # ms: arrival -> done (p50, p99, max)
    cpu: float  # CPU seconds the process under test used during the step
    rss_peak: float
    http: dict[str, Any] = field(default_factory=dict)  # the load generator's own report

    @property
    def kept_up(self) -> bool:
        return self.achieved >= KEPT_UP * self.offered and self.latency["p99"] <= MAX_P99_MS


class _Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []
        self.bulk_ops: list[int] = []  # the operations in each bulkWrite

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)
        if event.command_name == "bulkWrite":
            self.bulk_ops.append(len(event.command.get("ops", ())))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def _seed(settings: Settings, store: MongoStore, redis: Redis, patients: int) -> None:
    """``patients`` + 2 patients with a running reminder conversation (the last two for the probe)."""
    now = datetime.now(UTC)
    services = product_services(settings, store, MemoryQueue(), redis, lambda: now)
    appointments = [
        appointment(n, now + timedelta(days=1, minutes=15 * (n % 40))) for n in range(patients + 2)
    ]
    await in_batches(store.appointments.upsert, appointments)

    async def start(a: Any) -> None:
        assert await services.conversations.start(f"bench:{a.id}", "confirmation", [a])

    await in_batches(start, appointments)


async def _round_trips(
    settings: Settings, data_keys: str, patients: int
) -> tuple[Counter[str], list[int]]:
    """MongoDB commands one webhook costs, turn included (the second of two messages), and
    the number of operations in each of its ``bulkWrite`` commands."""
    assert settings.mongodb_url is not None
    listener = _Commands()
    mongo = create_mongo_client(settings.mongodb_url, event_listeners=[listener])
    store = connect_store(settings, mongo, environ={"DIGITALY_DATA_KEYS": data_keys}).store
    app = create_app(settings, overrides={MONGO: mongo, STORE: store})
    try:
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            while not app[SCHEMA_READY].get("mongodb"):  # noqa: ASYNC110 - a flag, no event to wait on
                await asyncio.sleep(0.05)
            for n in (patients, patients + 1):  # a warm-up, then the one counted
                listener.names.clear()
                listener.bulk_ops.clear()
                form = webhook_form(message_sid(f"probe{n}"), phone(n), "2")
                headers = {"X-Twilio-Signature": signature(PATH, form, TOKEN, PUBLIC)}
                async with client.post(PATH, data=form, headers=headers) as answer:
                    assert answer.status == 200, answer.status
                while app[TURNS]:  # noqa: ASYNC110 - the app's set of running turns
                    await asyncio.sleep(0.01)
            return Counter(listener.names), listener.bulk_ops
    finally:
        await mongo.close()


async def _load(
    url: str, rate: float, tag: str, patients: int, on_tick: Callable[[], None]
) -> dict[str, Any]:
    """Run the load generator for one step, calling ``on_tick`` while it runs."""
    generator = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.load", url, "--rate", f"{rate:.1f}",
        "--seconds", str(STEP_SECONDS), "--patients", str(patients), "--prefix", tag,
        "--token", TOKEN, "--public", PUBLIC,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert generator.stdout is not None
    output = asyncio.create_task(generator.stdout.read())
    while generator.returncode is None:
        on_tick()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(generator.wait(), 0.2)
    report: dict[str, Any] = json.loads(await output)
    return report


Finish = Callable[[str, dict[str, Any]], Awaitable[tuple[int, float, dict[str, float]]]]


@dataclass
class Target:
    """A server under load: its URL, its pid (for memory and CPU) and how a step completes."""

    name: str
    url: str
    pid: int
    finish: Finish
    patients: int = PATIENTS
    steps: list[Step] = field(default_factory=list)

    @property
    def saturated(self) -> bool:
        return bool(self.steps) and not self.steps[-1].kept_up


async def run_step(target: Target, rate: float) -> None:
    tag = f"{target.name}{len(target.steps)}"
    pid = target.pid
    peak = [rss_mb(pid)]
    cpu_before = cpu_seconds(pid)
    report = await _load(target.url, rate, tag, target.patients, lambda: peak.append(rss_mb(pid)))
    completed, achieved, latency = await target.finish(tag, report)
    cpu = cpu_seconds(pid) - cpu_before
    target.steps.append(Step(rate, completed, achieved, latency, cpu, max(peak), report))
    print(
        f"  {target.name:>4} offered {rate:6.1f}/s: {achieved:6.1f}/s done, p50 {latency['p50']} ms, "
        f"p99 {latency['p99']} ms, max {latency['max']} ms, http errors {report['errors']}",
        file=sys.stderr,
        flush=True,
    )


async def _ramp(*targets: Target) -> None:
    """Offered rates growing by ``GROWTH``, each target in turn at each rate (so both see the
    same machine at the same moment), until every target has had a step it did not keep up with.
    """
    rate = FIRST_RATE
    for _ in range(MAX_STEPS):
        running = [t for t in targets if not t.saturated]
        if not running:
            return
        for target in running:
            await run_step(target, rate)
        rate *= GROWTH


def _turns_done(store: MongoStore) -> Finish:
    """Completion of a webhook step: every stored message of the step has had its turn."""
    inbound = store.db["inbound"]

    async def finish(tag: str, report: dict[str, Any]) -> tuple[int, float, dict[str, float]]:
        step = {"_id": step_range(tag)}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_SECONDS
        while loop.time() < deadline:
            pending = await inbound.count_documents({**step, "processed_at": None})
            if pending == 0:
                break
            await asyncio.sleep(0.5)
        docs = await inbound.find(
            {**step, "processed_at": {"$ne": None}}, {"received_at": 1, "processed_at": 1}
        ).to_list()
        if not docs:
            return 0, 0.0, percentiles([])
        first = min(d["received_at"] for d in docs)
        last = max(d["processed_at"] for d in docs)
        span = max((last - first).total_seconds(), 1e-3)
        waits = [(d["processed_at"] - d["received_at"]).total_seconds() for d in docs]
        return len(docs), round(len(docs) / span, 1), percentiles(waits)

    return finish


async def _answered(tag: str, report: dict[str, Any]) -> tuple[int, float, dict[str, float]]:
    """Completion of a baseline step: its HTTP answer (the round trips are made before it)."""
    latency = {key: float(report[key]) for key in ("p50", "p99", "max")}
    return int(report["ok"]), float(report["achieved"]), latency


def _best(steps: list[Step]) -> Step:
    return max(steps, key=lambda s: s.achieved)


def _highest_kept_up(steps: list[Step]) -> Step:
    kept = [s for s in steps if s.kept_up]
    return kept[-1] if kept else steps[0]


def _at_rate(steps: list[Step], offered: float) -> Step:
    return min(steps, key=lambda s: abs(s.offered - offered))


def _row(figure: str, value: float, unit: str, baseline: float, **extra: Any) -> dict[str, Any]:
    ratio = round(value / baseline, 2) if baseline else 0.0
    return {
        "figure": figure,
        "value": round(value, 1),
        "unit": unit,
        "baseline": round(baseline, 1),
        "ratio": ratio,
        **extra,
    }


def _config(workdir: Path) -> Path:
    """The shipped config.yaml without the cap on connections per client address: the load
    generator is one address holding up to 256 connections, where Twilio's requests come
    from many (and behind a reverse proxy the cap is 0 too, docs/operations.md)."""
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    return config_copy(workdir, f"{text}\nweb_limits:\n  max_connections_per_client: 0\n")


@dataclass
class Bench:
    """Both servers started on seeded data, with what was measured before any load."""

    web: Target
    bare: Target
    commands: Counter[str]
    idle_rss: tuple[float, float]  # web, bare (MB)
    bare_round_trips: int


def _bare_args(commands: Counter[str], bulk_ops: list[int], bare_bulk: bool) -> list[str]:
    """The baseline's ``--reads``/``--writes``/``--bulk`` for the counted commands: every
    operation one round trip, or (``bare_bulk``) the turn's bulkWrite as one of its own."""
    reads = sum(n for name, n in commands.items() if name in READS)
    single = sum(commands.values()) - reads - commands["bulkWrite"]
    if len(bulk_ops) > 1:
        raise RuntimeError(f"a turn made {len(bulk_ops)} bulkWrite commands; the bare makes one")
    bulk = sum(bulk_ops)
    args = ["--reads", str(reads), "--writes", str(single + bulk)]
    return [*args, "--bulk", str(bulk)] if bare_bulk and bulk else args


@contextlib.asynccontextmanager
async def open_bench(
    workdir: Path, patients: int = PATIENTS, *, bare_bulk: bool = True
) -> AsyncIterator[Bench]:
    """Servers, seeded patients, the round trips counted, the web process and the baseline."""
    data_keys = generate_data_keys()
    with open_servers(workdir, "webhook") as servers, children() as started:
        twilio = {
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": PUBLIC,
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9",  # offline: nothing listens
            "DIGITALY_CONFIG": str(_config(workdir)),
        }
        settings = bench_settings(servers, workdir, **twilio)
        async with open_store(settings, data_keys) as store:
            redis = Redis.from_url(servers.redis_url)
            try:
                await _seed(settings, store, redis, patients)
            finally:
                await redis.aclose()
            commands, bulk_ops = await _round_trips(settings, data_keys, patients)
            bare_args = _bare_args(commands, bulk_ops, bare_bulk)
            bare_trips = sum(commands.values()) + (sum(bulk_ops) - len(bulk_ops)) * (not bare_bulk)
            print(
                f"  one webhook = {sum(commands.values())} MongoDB round trips: {dict(commands)}"
                f" (bulkWrite operations: {bulk_ops}); bare handler: {bare_trips} ({' '.join(bare_args)})",
                file=sys.stderr,
            )

            web_port, bare_port = free_port(), free_port()
            env = product_env(
                servers.mongodb_url, servers.redis_url, servers.db, workdir,
                PORT=str(web_port), DIGITALY_DATA_KEYS=data_keys, **twilio,
            )  # fmt: skip
            web = spawn(["-m", "bot", "web"], env, workdir / "web.log")
            started.append(web)
            bare = spawn(
                ["-m", "bench.bare", "--port", str(bare_port), "--mongodb-url", servers.mongodb_url,
                 "--db", servers.db, *bare_args],
                env, workdir / "bare.log",
            )  # fmt: skip
            started.append(bare)
            wait_http(f"http://127.0.0.1:{web_port}/readyz", web)
            wait_http(f"http://127.0.0.1:{bare_port}/readyz", bare)
            await asyncio.sleep(1.0)  # settle: start-up work done, nothing in flight
            yield Bench(
                Target(
                    "web", f"http://127.0.0.1:{web_port}", web.pid, _turns_done(store), patients
                ),
                Target("bare", f"http://127.0.0.1:{bare_port}", bare.pid, _answered, patients),
                commands,
                (rss_mb(web.pid), rss_mb(bare.pid)),
                bare_trips,
            )


async def _measure(workdir: Path, bare_bulk: bool) -> list[dict[str, Any]]:
    async with open_bench(workdir, bare_bulk=bare_bulk) as bench:
        await _ramp(bench.bare, bench.web)
    web_steps, bare_steps, commands = bench.web.steps, bench.bare.steps, bench.commands
    web_idle, bare_idle = bench.idle_rss

    best, bare_best = _best(web_steps), _best(bare_steps)
    kept = _highest_kept_up(web_steps)
    bare_same = _at_rate(bare_steps, kept.offered)
    at = f"at {kept.offered:.0f}/s offered"
    detail = {
        "round_trips": dict(commands),
        "web": [vars(s) for s in web_steps],
        "bare": [vars(s) for s in bare_steps],
    }
    per_core = best.completed / best.cpu if best.cpu else 0.0
    bare_per_core = bare_best.completed / bare_best.cpu if bare_best.cpu else 0.0
    return [
        _row(
            f"webhook end to end: sustained rate ({sum(commands.values())} round trips/msg;"
            f" bare {bench.bare_round_trips})",
            best.achieved, "msgs/s", bare_best.achieved, detail=detail,
        ),
        _row(f"webhook: latency p50 {at} (arrival -> turn)", kept.latency["p50"], "ms", bare_same.latency["p50"]),
        _row(f"webhook: latency p99 {at}", kept.latency["p99"], "ms", bare_same.latency["p99"]),
        _row(f"webhook: latency max {at}", kept.latency["max"], "ms", bare_same.latency["max"]),
        _row("webhook: msgs per CPU-second of the web process", per_core, "msgs/cpu-s", bare_per_core),
        _row("memory: web process RSS idle", web_idle, "MB", bare_idle),
        _row("memory: web process RSS peak under load (target: ratio <= 1.3)", max(s.rss_peak for s in web_steps), "MB", max(s.rss_peak for s in bare_steps)),
    ]  # fmt: skip


def run(*, bare_bulk: bool = True) -> list[dict[str, Any]]:
    """Measure; rows of {figure, value, unit, baseline, ratio} (ratio = value / baseline).

    ``bare_bulk``: the baseline sends the turn's bulkWrite as one bulkWrite too (the
    same round trips as the turn); False: one round trip per operation."""
    with tempfile.TemporaryDirectory(prefix="bench-webhook-") as tmp:
        return asyncio.run(_measure(Path(tmp), bare_bulk))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample both servers with py-spy at one rate (bench.webhook_profile)",
    )
    parser.add_argument(
        "--bare-per-op",
        action="store_true",
        help="the baseline makes one round trip per operation of the turn's bulkWrite "
        "(the baseline before issue 20's seventh round)",
    )
    args, rest = parser.parse_known_args()
    if args.profile:
        from bench.webhook_profile import main as profile_main

        profile_main([*rest, "--bare-per-op"] if args.bare_per_op else rest)
        return
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    for row in run(bare_bulk=not args.bare_per_op):
        print({k: v for k, v in row.items() if k != "detail"})


if __name__ == "__main__":
    main()
