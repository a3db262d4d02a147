"""The production topology as separate processes: web, worker and scheduler on the real servers.

A reminder goes out through the scheduler and the worker, the patient's reply
comes in through the web process, and each role's own port is scraped: the
send figures come from the worker, and every dashboard panel has its data.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.settings import Settings
from tests import builders
from tests.conftest import open_mongo_store
from tests.fakes.twilio import FakeTwilio
from tests.faults.cluster import Cluster, fault_settings, open_cluster
from tests.twilio_signing import PUBLIC

pytestmark = pytest.mark.timeout(420)

ROOT = Path(__file__).resolve().parents[1]
PHONE = builders.PHONE  # the appointment's
ALL_DAY = {"sending_hours": {"start": "00:00", "end": "23:59", "sundays": True}}

Samples = dict[str, list[tuple[dict[str, str], float]]]


async def _get(session: aiohttp.ClientSession, port: int, path: str) -> tuple[int, str]:
    async with session.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.text()


async def _wait_ready(session: aiohttp.ClientSession, cluster: Cluster, name: str) -> None:
    for _ in range(1200):  # web fits the reply model first: minutes on a busy machine
        assert cluster.processes[name].returncode is None, cluster.log_lines(name)[-5:]
        try:
            status, _ = await _get(session, await cluster.port(name), "/readyz")
        except aiohttp.ClientError:
            status = 0
        if status == 200:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{name} not ready: {cluster.log_lines(name)[-5:]}")


async def _until(condition: Any, what: str, within: float = 60) -> None:
    for _ in range(int(within / 0.2)):
        if condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def _scrape(session: aiohttp.ClientSession, port: int) -> Samples:
    status, text = await _get(session, port, "/metrics")
    assert status == 200
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def _total(samples: Samples, name: str, **labels: str) -> float:
    return sum(
        value
        for found, value in samples.get(name, [])
        if all(found.get(k) == v for k, v in labels.items())
    )


def _dashboard_metrics() -> set[str]:
    dashboard = json.loads((ROOT / "deploy/grafana/digitaly.json").read_text())
    return {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"digitaly_[a-z_]+", target["expr"])
    }


async def test_three_roles_send_a_reminder_and_each_exports_its_metrics(
    settings: Settings, fake_twilio: tuple[FakeTwilio, str], tmp_path: Path
) -> None:
    fake, url = fake_twilio
    settings = fault_settings(settings)
    async with (
        open_mongo_store(settings) as store,
        open_cluster(settings, url, tmp_path, reminders=ALL_DAY) as cluster,
        aiohttp.ClientSession() as session,
    ):
        web = await cluster.start("web")
        worker = await cluster.start("worker", LOG_LEVEL="info")
        scheduler = await cluster.start("scheduler")
        for name in (web, worker, scheduler):
            await _wait_ready(session, cluster, name)
            status, body = await _get(session, cluster.ports[name], "/healthz")
            assert (status, json.loads(body)) == (200, {"status": "alive"})

        # A reminder falls due: the scheduler starts it, the worker sends it.
        now = datetime.now(UTC)
        appointment = builders.appointment(
            id="roles-1", external_id="LEG-ROLES-1", starts_at=now + timedelta(hours=26)
        )
        await store.appointments.upsert(appointment)
        stored = await store.appointments.get_by_external_id("LEG-ROLES-1")
        assert stored is not None
        await store.appointments.set_reminder_due(stored.id, now)
        await _until(lambda: len(fake.messages) == 1, "the reminder")
        reminder_sid = fake.messages[0].sid

        # The patient confirms: Twilio posts it to the web process, the worker sends the answer.
        fake.route(PUBLIC, f"http://127.0.0.1:{cluster.ports[web]}")
        reply = fake.compose(PHONE, "1", replied_to=reminder_sid)
        assert (await fake.deliver(reply)).answer == 200
        sid = reply.sid
        await _until(lambda: len(fake.messages) == 2, "the answer to the reply")

        def accepted() -> list[dict[str, Any]]:
            return [
                line for line in cluster.log_lines(worker) if line["event"] == "message accepted"
            ]

        await _until(lambda: len(accepted()) == 2, "the worker's log lines")
        reminder_line, answer_line = accepted()
        assert answer_line["correlation_id"] == sid  # the webhook's id, across the queue
        assert reminder_line["correlation_id"].startswith("reminders-")  # the scan's id

        scraped = {name: await _scrape(session, cluster.ports[name]) for name in cluster.processes}
        sends = "digitaly_outbound_sends_total"
        assert _total(scraped[worker], sends, status="accepted") == 2
        assert _total(scraped[worker], "digitaly_send_latency_seconds_count") == 2
        assert _total(scraped[worker], "digitaly_reminder_lag_seconds_count") == 1
        for other in (web, scheduler):
            assert _total(scraped[other], sends) == 0
            assert _total(scraped[other], "digitaly_send_latency_seconds_count") == 0
        assert _total(scraped[web], "digitaly_inbound_messages_total", outcome="stored") == 1
        assert _total(scraped[scheduler], "digitaly_outbox_backlog", state="pending") == 0

        exported = {
            re.sub(r"_(bucket|count|sum|total)$", "", name)
            for samples in scraped.values()
            for name, values in samples.items()
            if values
        }
        dashboard = {re.sub(r"_(bucket|total)$", "", name) for name in _dashboard_metrics()}
        assert dashboard <= exported, dashboard - exported
