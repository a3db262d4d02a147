"""A robot that knows only /openapi.json runs a clinic day: push, read, apply, acknowledge.

The robot below builds every request from the document (operationId, path
template, method); nothing else of the API is hard-coded. Patients cancel for
real: a reminder conversation, then their WhatsApp replies through the fake Twilio.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

from redis.asyncio import Redis

from bot.settings import Settings
from bot.web.keys import CONVERSATIONS, STORE
from tests.api.conftest import Client, api_settings, item, start, token_maker
from tests.twilio_signing import with_twilio
from tests.web.conftest import patients_of
from tests.web.test_webhooks import _settle

DAY = 240  # appointments pushed; above the async threshold: a 202 and an operation
CANCELLING = 5


class Robot:
    """An API client generated, in spirit, from the OpenAPI document alone."""

    def __init__(self, client: Client, document: dict[str, Any], token: dict[str, str]) -> None:
        self.client = client
        self.token = token
        self.operations = {
            operation["operationId"]: (method.upper(), path)
            for path, methods in document["paths"].items()
            for method, operation in methods.items()
        }

    async def call(
        self, name: str, *, body: Any = None, query: dict[str, str] | None = None, **path: str
    ) -> tuple[int, Any]:
        method, template = self.operations[name]
        url = re.sub(r"\{(\w+)\}", lambda m: path[m[1]], template)
        headers = {**self.token, "Idempotency-Key": str(uuid.uuid4())}
        response = await self.client.request(
            method, url, json=body, params=query or {}, headers=headers
        )
        return response.status, await response.json()


async def test_a_robot_runs_a_day_from_the_document_alone(
    aiohttp_client: Any, settings: Settings, redis: Redis
) -> None:
    offline = with_twilio(settings, "http://127.0.0.1:9")  # nothing listens there
    configured = api_settings(offline, async_batch_threshold=200)
    client = await start(aiohttp_client, configured)
    document = await (await client.get("/openapi.json")).json()
    robot = Robot(client, document, await token_maker(client)())

    # 1. Push the day; a large batch is accepted and polled.
    day = [item(n, phone=f"+55 11 98{n:03d}-{n:04d}") for n in range(DAY)]
    status, accepted = await robot.call("pushAppointments", body={"items": day})
    assert status == 202, accepted
    for _ in range(400):
        status, operation = await robot.call("getOperation", operation_id=accepted["id"])
        if operation["state"] != "running":
            break
        await asyncio.sleep(0.05)
    assert operation["state"] == "succeeded", operation
    assert operation["result"]["summary"]["created"] == DAY

    # 2. Patients get their reminder and some cancel on WhatsApp.
    store = client.app[STORE]
    phones = []
    for n in range(CANCELLING):
        appointment = await store.appointments.get_by_external_id(f"LEG-{n}")
        assert appointment is not None
        await client.app[CONVERSATIONS].start(f"c-day{n}", "confirmation", [appointment])
        phones.append(appointment.phone)
    twilio = patients_of(client)
    for words in ("não vou poder ir", "sim, pode desmarcar"):
        for phone in phones:
            assert (await twilio.receive(phone, words)).answer == 200
        await _settle(client)
    await twilio.close()

    # 3. Read the cancellations, page by page, and apply them (the last one fails).
    seen: list[dict[str, Any]] = []
    query = {"limit": "2"}
    while True:
        status, page = await robot.call("listCancellations", query=query)
        assert status == 200
        seen += page["items"]
        if page["next_cursor"] is None:
            break
        query = {"limit": "2", "after": page["next_cursor"]}
    assert sorted(c["external_id"] for c in seen) == [f"LEG-{n}" for n in range(CANCELLING)]
    for cancellation in seen:
        result = "failed" if cancellation["external_id"] == "LEG-4" else "applied"
        status, acked = await robot.call(
            "acknowledgeCancellation",
            body={"result": result, "detail": "robot run"},
            cancellation_id=cancellation["id"],
        )
        assert status == 200
        assert acked["state"] == result

    # 4. Nothing is left to read; each appointment shows what happened.
    status, page = await robot.call("listCancellations")
    assert page["items"] == []
    status, state = await robot.call("getAppointment", external_id="LEG-0")
    assert status == 200
    assert state["status"] == "cancelled"
    assert state["patient_answer"] == "cancel"
    assert state["cancellation"]["state"] == "applied"
    assert [r["kind"] for r in state["reminders"]] == ["reminder"]
    status, state = await robot.call("getAppointment", external_id="LEG-4")
    assert state["status"] == "cancel_requested"
    assert state["cancellation"]["state"] == "failed"

    # 5. The next push, with the cancellations the robot applied, changes nothing.
    for n in range(CANCELLING - 1):
        day[n] = {**day[n], "status": "cancelled"}
    status, result = await robot.call("pushAppointments", body={"items": day[:150]})
    assert status == 200
    assert result["summary"] == {"created": 0, "updated": 0, "unchanged": 150, "rejected": 0}
