"""No answer lost while the web process was down: the reconciliation recovers it, once, in order.

Real ``python -m bot web`` and ``scheduler`` processes; the fake Twilio in this
process receives the patients' messages and posts them to the web process as
Twilio does, giving up (11205) when nothing answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.adapters.flow_files import FlowDirectory
from bot.adapters.locks import RedisLocks
from bot.adapters.mongo import MongoStore
from bot.adapters.queue import TaskiqQueue
from bot.clock import utcnow
from bot.core.model import Appointment, decisions_of
from bot.settings import Settings
from bot.wiring import create_services
from tests.fakes.twilio import AUTH_TOKEN, FakeTwilio
from tests.fakes.twilio_inbound import Webhook
from tests.faults.cluster import Cluster, fault_settings, open_cluster
from workers.broker import create_broker

pytestmark = pytest.mark.timeout(480)

PATIENTS = 4
TOKEN = AUTH_TOKEN  # what open_cluster gives the processes, and the fake checks


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _phone(n: int) -> str:
    return f"+55119{n:08d}"


async def _start_conversations(settings: Settings, store: MongoStore, redis: Redis) -> None:
    flows = FlowDirectory(settings.flows_dir)
    flows.reload()
    broker = create_broker(settings)
    try:
        services = create_services(
            settings,
            store=store,
            flows=flows,
            queue=TaskiqQueue(broker),
            locks=RedisLocks(redis),
            clock=utcnow,
        )
        for n in range(PATIENTS):
            appointment = Appointment(
                id=f"a{n}",
                external_id=f"LEG-{n}",
                patient_name=f"Paciente {n}",
                phone=_phone(n),
                starts_at=utcnow() + timedelta(days=1),
                doctor="Dra. Ana",
                unit="centro",
            )
            await store.appointments.upsert(appointment)
            assert await services.conversations.start(f"c{n}", "confirmation", [appointment])
    finally:
        await broker.shutdown()


async def _start_web_and_scheduler(cluster: Cluster, port: int) -> list[str]:
    names = [await cluster.start("web"), await cluster.start("scheduler")]
    deadline = time.monotonic() + 180  # a loaded machine starts slowly
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{port}/readyz") as answer:
                    if answer.status == 200:
                        return names
            await asyncio.sleep(0.2)
    raise AssertionError("the web process did not get ready")


async def _intents(store: MongoStore, n: int) -> list[str]:
    conversation = await store.conversations.get(f"c{n}")
    assert conversation is not None
    return [d.get("intent", "") for d in decisions_of(conversation.data)]


async def _wait(store: MongoStore, n: int, count: int, within: float = 120) -> None:
    deadline = time.monotonic() + within
    while len(await _intents(store, n)) < count:
        assert time.monotonic() < deadline, f"patient {n}: {await _intents(store, n)}"
        await asyncio.sleep(0.25)


async def test_replies_sent_while_the_web_was_down_are_processed_once_in_order(
    settings: Settings,
    store: MongoStore,
    redis: Redis,
    fake_twilio: tuple[FakeTwilio, str],
    tmp_path: Path,
) -> None:
    fake, url = fake_twilio
    settings = fault_settings(settings)
    settings = settings.model_copy(
        update={
            "conversations": settings.conversations.model_copy(
                update={"reconcile_every": timedelta(seconds=1)}
            )
        }
    )
    port = _free_port()
    path = "/webhooks/twilio/messages"
    fake.inbox.webhook = Webhook(
        "https://digitaly.test" + path, f"http://127.0.0.1:{port}{path}", TOKEN
    )
    fake.inbox.auth_token = TOKEN
    await _start_conversations(settings, store, redis)
    async with open_cluster(settings, url, tmp_path) as cluster:
        cluster.env["PORT"] = str(port)
        running = await _start_web_and_scheduler(cluster, port)
        live = await fake.inbox.receive(_phone(0), "1")  # while up: the webhook delivers it
        assert live.delivered
        await _wait(store, 0, 1)
        for name in running:
            cluster.kill(name)
        await asyncio.sleep(0.5)
        # Three answers each while we are down, 10 s apart (read one by one, not as a burst).
        first = datetime.now(UTC) - timedelta(minutes=2)
        missed = []
        for step, body in enumerate(["2", "2", "1"]):
            for n in range(1, PATIENTS):
                at = first + timedelta(seconds=10 * step)
                missed.append(await fake.inbox.receive(_phone(n), body, at=at))
        assert [(m.delivered, m.error_code, m.attempts) for m in missed] == [
            (False, 11205, 2)
        ] * len(missed)  # Twilio tried twice, then gave up
        await _start_web_and_scheduler(cluster, port)
        for n in range(1, PATIENTS):
            await _wait(store, n, 3)
        await asyncio.sleep(3)  # a few more reconciliations: nothing is taken twice
    assert await _intents(store, 0) == ["confirm"]
    for n in range(1, PATIENTS):
        # cancel? -> "no, keep it" -> confirm: only in this order does it end confirmed.
        assert await _intents(store, n) == ["cancel", "no", "confirm"]
        conversation = await store.conversations.get(f"c{n}")
        assert conversation is not None
        assert conversation.state == "confirmed"
    assert await store.db["inbound"].count_documents({}) == 1 + 3 * (PATIENTS - 1)
    assert await store.db["inbound"].count_documents({"processed_at": None}) == 0
