"""Exactly-once in effect under faults: killed workers, a flushed Redis, lost answers, 429s.

Real ``python -m bot worker`` / ``scheduler`` processes, the real MongoDB-wire
server and Valkey, and the fake Twilio in this process. What counts is what the
fake received: every outbox key created there exactly once.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import defaultdict
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.adapters.mongo import MongoStore
from bot.settings import Settings
from tests.fakes.twilio import FakeTwilio
from tests.faults.cluster import Cluster, fault_settings, open_cluster, seed, wait_until_settled

pytestmark = pytest.mark.timeout(180)

COUNT = 1000
KILL_EVERY = 200  # sends between two kills: at least 2 kills (at most 4) in a run of COUNT


async def _start(cluster: Cluster, workers: int) -> None:
    await cluster.start("scheduler")
    for _ in range(workers):
        await cluster.start("worker")


async def _assert_exactly_once(fake: FakeTwilio, store: MongoStore, keys: list[str]) -> None:
    created = fake.keys()
    lost = [key for key in keys if created[key] == 0]
    duplicated = {key: n for key, n in created.items() if n > 1}
    assert (lost, duplicated) == ([], {})
    sent = await store.db["outbox"].count_documents({"state": "sent"})
    assert sent == len(keys)
    # Every entry records the sid Twilio gave that very message.
    sids = fake.sids()
    async for doc in store.db["outbox"].find({}, {"provider_sid": 1}):
        assert doc["provider_sid"] == sids[doc["_id"]]


# Seeding, and the workers' start under load, come before the 150 s the sends are given.
@pytest.mark.timeout(300)
async def test_killing_workers_loses_and_duplicates_nothing(
    settings: Settings, store: MongoStore, fake_twilio: tuple[FakeTwilio, str], tmp_path: Path
) -> None:
    fake, url = fake_twilio
    fake.delay = 0.02  # a send takes a little while: kills land mid-request too
    # Slow enough (at least 5 s for the lot) that the kills below land mid-run on any machine.
    settings = fault_settings(settings, rate=200, burst=20)
    rng = random.Random(7)
    async with open_cluster(settings, url, tmp_path) as cluster:
        # Queued first: every send happens while the workers run, so the kills can follow.
        keys = await seed(store, settings, COUNT, fake)
        await _start(cluster, workers=3)
        for name in cluster.workers():
            await cluster.port(name)  # their start (imports) is the machine's time, not ours
        start, kills, next_kill = time.monotonic(), 0, KILL_EVERY
        while await store.db["outbox"].count_documents({"state": "sent"}) < COUNT:
            assert time.monotonic() - start < 150, "not all sent in time"
            await asyncio.sleep(0.1)
            # A kill after every KILL_EVERY sends, while work is in flight, of a worker that
            # got through its start: kills follow the run's progress, not a clock, so on a
            # slow machine they cannot outpace the restarts (workers killed while starting).
            up = [name for name in cluster.workers() if cluster.is_up(name)]
            if up and next_kill <= len(fake.messages) < COUNT:
                cluster.kill(rng.choice(up))
                kills += 1
                await cluster.start("worker")
                next_kill = len(fake.messages) + KILL_EVERY
        elapsed = time.monotonic() - start
    await _assert_exactly_once(fake, store, keys)
    assert kills >= 2
    print(f"\nkill: {COUNT} sent, {kills} SIGKILLs, 0 lost, 0 duplicated, {elapsed:.1f}s")


async def test_flushing_redis_midway_loses_and_duplicates_nothing(
    settings: Settings,
    store: MongoStore,
    redis: Redis,
    fake_twilio: tuple[FakeTwilio, str],
    tmp_path: Path,
) -> None:
    fake, url = fake_twilio
    fake.delay = 0.02
    settings = fault_settings(settings, rate=200, burst=20)  # slow enough to flush midway
    async with open_cluster(settings, url, tmp_path) as cluster:
        await _start(cluster, workers=2)
        keys = await seed(store, settings, COUNT, fake)
        while len(fake.messages) < COUNT // 3:  # noqa: ASYNC110 - the fake has no event to wait on
            await asyncio.sleep(0.05)
        await redis.flushdb()  # queued tasks, the consumer group, the limiter state: gone
        flushed_at, sent_then = time.monotonic(), len(fake.messages)
        await wait_until_settled(store, COUNT, within=120)
        recovered = time.monotonic() - flushed_at
    await _assert_exactly_once(fake, store, keys)
    print(
        f"\nflush: at {sent_then}/{COUNT} sent; the rest sent {recovered:.1f}s after the flush; "
        "0 lost, 0 duplicated"
    )


async def test_lost_answers_are_reconciled_not_resent(
    settings: Settings, store: MongoStore, fake_twilio: tuple[FakeTwilio, str], tmp_path: Path
) -> None:
    fake, url = fake_twilio
    fake.drop_rate = 0.10  # created, then the connection closes: the outcome is unknown
    settings = fault_settings(settings)
    async with open_cluster(settings, url, tmp_path) as cluster:
        await _start(cluster, workers=2)
        keys = await seed(store, settings, COUNT, fake)
        elapsed = await wait_until_settled(store, COUNT, within=120)
    dropped = sum(1 for r in fake.requests if r["status"] == 0)
    await _assert_exactly_once(fake, store, keys)
    unknown = len(fake.requests) - COUNT  # every request beyond one per key would be a resend
    print(f"\ndrop: {COUNT} sent in {elapsed:.1f}s, 0 duplicated, resends {unknown}, {dropped=}")
    assert unknown == 0


async def test_retry_after_is_always_waited(
    settings: Settings, store: MongoStore, fake_twilio: tuple[FakeTwilio, str], tmp_path: Path
) -> None:
    fake, url = fake_twilio
    fake.fail_next("429", times=60, retry_after=2)
    settings = fault_settings(settings, circuit_failures=1000)
    async with open_cluster(settings, url, tmp_path) as cluster:
        await _start(cluster, workers=2)
        keys = await seed(store, settings, 100, fake)
        await wait_until_settled(store, 100, within=90)
    await _assert_exactly_once(fake, store, keys)
    by_key: dict[str, list[dict[str, object]]] = defaultdict(list)
    for request in fake.requests:
        by_key[str(request["key"])].append(request)
    gaps = [
        float(later["at"]) - float(earlier["at"])  # type: ignore[arg-type]
        for attempts in by_key.values()
        for earlier, later in itertools.pairwise(attempts)
        if earlier["status"] == 429
    ]
    assert len(gaps) == 60
    # The 429's arrival to the retry's arrival; next_attempt_at is stored to the millisecond.
    assert min(gaps) >= 2 - 0.002, min(gaps)
    print(f"\n429: 60 retries, shortest wait {min(gaps):.3f}s for Retry-After: 2")


async def test_rate_limit_is_shared_by_all_workers(
    settings: Settings, store: MongoStore, fake_twilio: tuple[FakeTwilio, str], tmp_path: Path
) -> None:
    fake, url = fake_twilio
    rate, burst = 10, 5
    settings = fault_settings(settings, rate=rate, burst=burst)
    async with open_cluster(settings, url, tmp_path) as cluster:
        await _start(cluster, workers=3)
        keys = await seed(store, settings, 80, fake)
        elapsed = await wait_until_settled(store, 80, within=60)
    await _assert_exactly_once(fake, store, keys)
    times = sorted(float(r["at"]) for r in fake.requests)
    worst = max(sum(1 for t in times if start <= t < start + 1) for start in times)
    print(f"\nrate: 80 sends in {elapsed:.1f}s; busiest 1-s window {worst} (limit {rate}+{burst})")
    assert worst <= rate + burst
    assert elapsed >= (80 - burst) / rate - 1
