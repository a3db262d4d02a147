"""Finding 2 of issue 17: the simulator (no Twilio credentials) reached by a stranger.

Through the real ``create_app`` on real MongoDB-wire / Redis-wire servers: a
robot-pushed appointment must stay out of the simulator's reach, even for staff.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.adapters.memory import MemoryQueue
from bot.core.model import AppointmentStatus
from bot.services.demo import seed_demo
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import CLOCK, DB, QUEUE, STORE
from tests import builders
from tests.web.conftest import Client, started
from tests.web.console import log_in

REAL_PHONE = "+5511988887777"


@pytest.fixture
async def simulator(aiohttp_client: Any, settings: Settings, redis: Redis) -> Client:
    """The app as ``make run`` serves it: no Twilio, demo data, and one robot-pushed appointment."""
    app = create_app(settings, overrides={QUEUE: MemoryQueue()})
    client = await started(aiohttp_client, app)
    await seed_demo(app[STORE], settings, app[CLOCK])
    real = builders.appointment(
        id="real-1",
        external_id="LEG-9001",
        patient_name="Joana Verdadeira",
        phone=REAL_PHONE,
        starts_at=datetime.now(UTC) + timedelta(days=1),
        doctor="Dr. Ricardo Nunes",
    )
    await app[STORE].appointments.upsert(real)
    return client


async def test_a_stranger_gets_nothing_from_the_simulator(simulator: Client) -> None:
    page = await simulator.get("/simulator", allow_redirects=False)
    assert page.status == 302
    assert page.headers["Location"].startswith("/console/login")
    listing = await simulator.get("/simulator/api/appointments")
    assert listing.status == 401
    assert "Joana" not in await listing.text()
    for path, body in [
        ("/simulator/api/send", {"phone": REAL_PHONE, "text": "2"}),
        ("/simulator/api/remind", {"appointment_id": "real-1"}),
        ("/simulator/api/reset", {"phone": REAL_PHONE}),
    ]:
        assert (await simulator.post(path, json=body)).status == 401, path
    assert (await simulator.get(f"/simulator/api/events?phone={REAL_PHONE}")).status == 401


async def test_staff_cannot_touch_a_real_patient_through_the_simulator(simulator: Client) -> None:
    await log_in(simulator)
    listing = await (await simulator.get("/simulator/api/appointments")).json()
    ids = {a["id"] for a in listing["appointments"]}
    assert "real-1" not in ids
    assert "demo-1" in ids  # the demo patients are there to play
    # The attack of the report: "2" then "sim" as the real patient's phone.
    for text in ("2", "sim"):
        answer = await simulator.post(
            "/simulator/api/send", json={"phone": REAL_PHONE, "text": text}
        )
        assert answer.status == 403
    assert await simulator.app[DB]["inbound"].count_documents({}) == 0
    remind = await simulator.post("/simulator/api/remind", json={"appointment_id": "real-1"})
    assert remind.status == 404
    assert (await simulator.post("/simulator/api/reset", json={"phone": REAL_PHONE})).status == 403
    events = await simulator.get(f"/simulator/api/events?phone={REAL_PHONE}")
    assert events.status == 403
    hijack = {"patient": "X", "phone": REAL_PHONE, "unit": "paulista", "date": "2030-01-02"}
    created = await simulator.post("/simulator/api/appointments", json={**hijack, "time": "09:00"})
    assert created.status == 403  # a demo appointment on a real patient's phone
    real = await simulator.app[STORE].appointments.get("real-1")
    assert real is not None
    assert real.status is AppointmentStatus.SCHEDULED
    assert await simulator.app[DB]["cancellations"].count_documents({}) == 0


async def test_a_demo_patient_still_plays(simulator: Client) -> None:
    await log_in(simulator)
    demo = await simulator.app[STORE].appointments.get("demo-1")
    assert demo is not None
    assert (
        await simulator.post("/simulator/api/remind", json={"appointment_id": "demo-1"})
    ).status == 200
    sent = await simulator.post("/simulator/api/send", json={"phone": demo.phone, "text": "sim"})
    assert sent.status == 200


@pytest.mark.parametrize("path", ["/simulator", "/console/login", "/simulator/api/appointments"])
async def test_pages_refuse_a_host_that_is_not_ours(simulator: Client, path: str) -> None:
    # A DNS-rebinding page reaches us under its own name.
    rebound = await simulator.get(path, headers={"Host": "attacker.example"}, allow_redirects=False)
    assert rebound.status == 421
    for host in ("localhost:8080", "127.0.0.1", "digitaly.test"):
        ours = await simulator.get(path, headers={"Host": host}, allow_redirects=False)
        assert ours.status != 421, host
