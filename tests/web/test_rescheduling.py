"""Rescheduling in the chat, end to end: the robot's API, Twilio's webhooks, the real servers.

The robot pushes free times (PUT /api/v1/slots); patients ask to reschedule
and pick one on WhatsApp; the robot reads the moves and acknowledges them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from bot.adapters.memory import MemoryQueue
from bot.core.model import Appointment
from bot.core.ports import RescheduleState, SlotState
from bot.services.tokens import TokenService
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import CLOCK, CONVERSATIONS, DB, QUEUE, RESCHEDULES, STORE, TEMPLATE_CHECK
from tests.builders import FakeClock, patient
from tests.fakes.twilio_inbound import webhook_form
from tests.twilio_signing import message_sid, post_signed
from tests.web.conftest import Client, no_template_check, started

_SP = ZoneInfo("America/Sao_Paulo")
_START = datetime.now(UTC).replace(microsecond=0)
WEBHOOK = "/webhooks/twilio/messages"


def _day(days: int, hour: int) -> datetime:
    return (_START + timedelta(days=days)).astimezone(_SP).replace(hour=hour, minute=0, second=0)


SLOT_TIMES = [_day(3, 9), _day(3, 14), _day(4, 10), _day(5, 11)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(_START)


@pytest.fixture
async def client(
    aiohttp_client: Any, twilio_settings: Settings, redis: Redis, clock: FakeClock
) -> Client:
    overrides = {QUEUE: MemoryQueue(), CLOCK: clock, TEMPLATE_CHECK: no_template_check}
    app = create_app(twilio_settings, overrides=overrides)
    return await started(aiohttp_client, app)


@pytest.fixture
async def robot(client: Client) -> dict[str, str]:
    scopes = ("slots:write", "reschedules:read")
    _, secret = await TokenService(client.app[STORE].tokens, client.app[CLOCK]).create(
        "robot", scopes
    )
    return {"Authorization": f"Bearer {secret}"}


def _slot(n: int, **changes: Any) -> dict[str, Any]:
    base = {
        "external_id": f"VAGA-{n}",
        "unit": "centro",
        "doctor": "Dra. Cláudia Guimarães",
        "specialty": "Cardiologia",
        "starts_at": SLOT_TIMES[n - 1].isoformat(),
        "duration_minutes": 30,
    }
    return {**base, **changes}


async def _push(client: Client, robot: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = await client.put("/api/v1/slots", json=body, headers=robot)
    assert response.status == 200
    answer: dict[str, Any] = await response.json()
    return answer


async def _patient(client: Client, n: int) -> Appointment:
    """Patient n with an appointment tomorrow, reminded: the conversation waits for the answer."""
    appointment = patient(n, starts_at=_START + timedelta(days=1), specialty="Cardiologia")
    await client.app[STORE].appointments.upsert(appointment)
    started_ = await client.app[CONVERSATIONS].start(f"c-a{n}", "confirmation", [appointment])
    assert started_ is not None
    return appointment


_sids = iter(range(10**6))


async def _says(client: Client, appointment: Appointment, text: str) -> None:
    form = webhook_form(message_sid(f"reschedule-{next(_sids)}"), appointment.phone, text)
    response = await post_signed(client, WEBHOOK, form)
    assert response.status == 200
    store = client.app[STORE]
    for _ in range(600):
        # The hold runs after the pick's turn is saved: wait for its outcome too.
        if (
            not await store.inbound.unprocessed(datetime.now(UTC) + timedelta(days=9), 1)
            and await _state(client, appointment) != "holding_slot"
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the turn did not finish")


async def _choosing(client: Client, robot: dict[str, str], slots: int) -> Appointment:
    """The robot pushes free times 1 to ``slots``; Maria (patient 1) picks "remarcar" from the
    reminder's menu and is offered them."""
    await _push(client, robot, {"items": [_slot(n) for n in range(1, slots + 1)]})
    maria = await _patient(client, 1)
    await _says(client, maria, "3")  # the reminder's menu: reschedule
    return maria


async def _texts(client: Client, appointment: Appointment) -> list[str]:
    cursor = client.app[DB]["outbox"].find({"conversation_id": f"c-{appointment.id}"})
    entries = sorted([doc async for doc in cursor], key=lambda d: d["created_at"])
    keys = [e["_id"] for e in entries]
    return [(await client.app[STORE].outbox.get(key)).text for key in keys]  # type: ignore[union-attr]


async def _state(client: Client, appointment: Appointment) -> str:
    conversation = await client.app[STORE].conversations.get(f"c-{appointment.id}")
    assert conversation is not None
    return conversation.state


async def _moves(client: Client, robot: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/reschedules", headers=robot)
    assert response.status == 200
    page: dict[str, Any] = await response.json()
    return list(page["items"])


async def _ack(
    client: Client, robot: dict[str, str], move_id: str, result: str, detail: str = ""
) -> tuple[int, dict[str, Any]]:
    response = await client.post(
        f"/api/v1/reschedules/{move_id}/ack",
        json={"result": result, "detail": detail},
        headers=robot,
    )
    return response.status, await response.json()


async def test_offer_pick_hold_and_the_robot_applies_it(
    client: Client, robot: dict[str, str]
) -> None:
    await _push(
        client, robot, {"items": [_slot(1), _slot(2), _slot(3), _slot(4, doctor="Dr. Paulo")]}
    )
    maria = await _patient(client, 1)
    await _says(client, maria, "3")  # the reminder's menu: reschedule
    assert await _state(client, maria) == "choosing_slot"
    offer = (await _texts(client, maria))[-1]
    assert "1. " in offer
    assert "3. " in offer
    assert "4. " not in offer
    assert "Dr. Paulo" not in offer
    await _says(client, maria, "2")
    assert await _state(client, maria) == "slot_requested"
    assert "Dra. Cláudia Guimarães" in (await _texts(client, maria))[-1]
    [move] = await _moves(client, robot)
    assert move["appointment_external_id"] == "LEG-1"
    assert move["slot_external_id"] == "VAGA-2"
    assert move["patient_name"] == "Maria 1 da Silva"
    assert move["state"] == "held"

    status, body = await _ack(client, robot, move["id"], "applied", "remarcado")
    assert (status, body["state"]) == (200, "applied")
    assert await _state(client, maria) == "rescheduled"
    confirmation = (await _texts(client, maria))[-1]
    new = SLOT_TIMES[1]
    assert f"às {new:%H:%M}, com Dra. Cláudia Guimarães" in confirmation
    assert "Rua Barão de Itapetininga" in confirmation  # the unit's address
    appointment = await client.app[STORE].appointments.get("a1")
    assert appointment is not None
    assert appointment.reminder_due_at is None
    slot = await client.app[STORE].slots.get_by_external_id("VAGA-2")
    assert slot is not None
    assert slot.state is SlotState.BOOKED
    sent = len(await _texts(client, maria))

    status, again = await _ack(client, robot, move["id"], "applied", "remarcado")
    assert (status, again["state"]) == (200, "applied")  # a repeat: the same answer
    status, other = await _ack(client, robot, move["id"], "failed", "ocupado")
    assert (status, other["error"]["code"]) == (409, "conflict")
    assert len(await _texts(client, maria)) == sent  # one effect
    assert await _moves(client, robot) == []


@pytest.mark.parametrize("patients", [2, 20])
async def test_many_patients_pick_the_same_slot_at_once_one_holds_it(
    client: Client, robot: dict[str, str], patients: int
) -> None:
    await _push(client, robot, {"items": [_slot(1), _slot(2), _slot(3), _slot(4)]})
    people = [await _patient(client, 10 + n) for n in range(patients)]
    for person in people:
        await _says(client, person, "remarcar")
        assert await _state(client, person) == "choosing_slot"
    await asyncio.gather(*(_says(client, person, "1") for person in people))
    states = [await _state(client, person) for person in people]
    assert states.count("slot_requested") == 1
    assert states.count("choosing_slot") == patients - 1
    [move] = await _moves(client, robot)
    assert move["slot_external_id"] == "VAGA-1"
    for person, state in zip(people, states, strict=True):
        if state == "choosing_slot":
            told, offer = (await _texts(client, person))[-2:]
            assert "acabou de ser ocupado" in told
            assert "Estes são os horários livres" in offer
            assert f"{SLOT_TIMES[0]:%H:%M}, com" not in offer  # the held one is not offered
    holds = await client.app[DB]["slots"].count_documents({"held_by": {"$ne": None}})
    assert holds == 1


async def test_a_slot_withdrawn_while_the_patient_chooses_is_told_and_others_offered(
    client: Client, robot: dict[str, str]
) -> None:
    maria = await _choosing(client, robot, slots=3)
    day = SLOT_TIMES[0].date().isoformat()
    later = {"items": [_slot(2)], "full_days": [{"unit": "centro", "date": day}]}
    assert (await _push(client, robot, later))["summary"]["withdrawn"] == 1
    await _says(client, maria, "1")
    assert await _state(client, maria) == "choosing_slot"
    told, offer = (await _texts(client, maria))[-2:]
    assert "acabou de ser ocupado" in told
    assert f"{SLOT_TIMES[0]:%H:%M}, com" not in offer
    assert f"{SLOT_TIMES[1]:%H:%M}, com" in offer
    assert await _moves(client, robot) == []


async def test_ack_after_the_hold_expired_has_one_effect_and_a_clear_answer(
    client: Client, robot: dict[str, str], clock: FakeClock
) -> None:
    maria = await _choosing(client, robot, slots=2)
    await _says(client, maria, "1")
    [move] = await _moves(client, robot)
    clock.advance(timedelta(hours=2, seconds=1))  # rescheduling.hold_for is 2h
    assert await _moves(client, robot) == []  # no longer offered to the robot
    status, body = await _ack(client, robot, move["id"], "applied")
    assert (status, body["error"]["code"]) == (409, "hold_expired")
    assert await _state(client, maria) == "hold_expired"
    assert "a reserva expirou" in (await _texts(client, maria))[-1]
    sent = len(await _texts(client, maria))
    status, body = await _ack(client, robot, move["id"], "applied")
    assert (status, body["error"]["code"]) == (409, "hold_expired")
    assert await client.app[RESCHEDULES].expire_holds() == 0  # the sweep finds nothing left
    assert len(await _texts(client, maria)) == sent
    stored = await client.app[STORE].reschedules.get(move["id"])
    assert stored is not None
    assert stored.state is RescheduleState.EXPIRED
    slot = await client.app[STORE].slots.get_by_external_id("VAGA-1")
    assert slot is not None
    assert slot.held_by is None


async def test_the_sweep_expires_an_unacknowledged_hold_and_tells_the_patient(
    client: Client, robot: dict[str, str], clock: FakeClock
) -> None:
    maria = await _choosing(client, robot, slots=1)
    await _says(client, maria, "1")
    clock.advance(timedelta(hours=3))
    assert await client.app[RESCHEDULES].expire_holds() == 1
    assert await client.app[RESCHEDULES].expire_holds() == 0
    assert await _state(client, maria) == "hold_expired"


async def test_a_failed_move_offers_others_once_then_a_person(
    client: Client, robot: dict[str, str]
) -> None:
    maria = await _choosing(client, robot, slots=3)
    await _says(client, maria, "1")
    [move] = await _moves(client, robot)
    status, _ = await _ack(client, robot, move["id"], "failed", "ocupado na agenda")
    assert status == 200
    assert await _state(client, maria) == "choosing_slot"
    offer = (await _texts(client, maria))[-1]
    assert f"{SLOT_TIMES[0]:%H:%M}, com" not in offer  # the refused time is not offered again
    await _says(client, maria, "1")
    [second] = await _moves(client, robot)
    assert second["slot_external_id"] == "VAGA-2"
    status, _ = await _ack(client, robot, second["id"], "failed", "ocupado")
    assert status == 200
    assert await _state(client, maria) == "move_failed_handoff"
    status, _ = await _ack(client, robot, move["id"], "failed", "ocupado")  # a late repeat
    assert status == 200
    assert await _state(client, maria) == "move_failed_handoff"
