"""The offered times as a WhatsApp list: offer, the list at Twilio, a tap on an item, the hold.

End to end through the strict fake Twilio: the patient's messages come from it
(signed, to our webhook), the offer goes out through the real sending path,
as a ``twilio/list-picker`` content created for it, and the tap comes back
with the item's id.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from bot.adapters.memory import MemoryQueue
from bot.adapters.twilio import LIST_BUTTON, TwilioMessenger
from bot.core.ports import OutboundMessage, OutboxState, SendOutcome, SlotState
from bot.services.tokens import TokenService
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import CLOCK, CONVERSATIONS, QUEUE, STORE, TEMPLATE_CHECK
from tests import builders
from tests.builders import FakeClock
from tests.fakes.sending import send_to_twilio
from tests.fakes.twilio import FakeTwilio
from tests.fakes.twilio_content import LIST_PICKER
from tests.twilio_signing import PUBLIC, TOKEN
from tests.web.conftest import Client, no_template_check, started

pytestmark = pytest.mark.timeout(180)

NOW = datetime.now(UTC).replace(microsecond=0)
PHONE = "+5511900000091"


@pytest.fixture
def twilio(fake_twilio: tuple[FakeTwilio, str]) -> FakeTwilio:
    fake_twilio[0].auth_token = TOKEN
    return fake_twilio[0]


@pytest.fixture
def fake_settings(twilio_settings: Settings, fake_twilio: tuple[FakeTwilio, str]) -> Settings:
    return twilio_settings.model_copy(
        update={"twilio_api_base_url": fake_twilio[1], "twilio_auth_token": SecretStr(TOKEN)}
    )


@pytest.fixture
async def client(
    aiohttp_client: Any, fake_settings: Settings, redis: Redis, twilio: FakeTwilio
) -> Client:
    overrides = {CLOCK: FakeClock(NOW), QUEUE: MemoryQueue(), TEMPLATE_CHECK: no_template_check}
    app = create_app(fake_settings, overrides=overrides)
    client = await started(aiohttp_client, app)
    twilio.route(PUBLIC, str(client.make_url("")))
    return client


async def _settle(client: Client, conversation_id: str) -> str:
    """Wait for the patient's turns (and a hold) to finish; the conversation's state."""
    store = client.app[STORE]
    for _ in range(600):
        conversation = await store.conversations.get(conversation_id)
        idle = not await store.inbound.unprocessed(NOW + timedelta(days=9), 1)
        if idle and conversation is not None and conversation.state != "holding_slot":
            return conversation.state
        await asyncio.sleep(0.05)
    raise AssertionError("the turn did not finish")


async def _send(client: Client, settings: Settings, key: str) -> OutboxState | None:
    return await send_to_twilio(key, client.app[STORE], settings)


async def _robot_pushes_slots(client: Client) -> None:
    _, secret = await TokenService(client.app[STORE].tokens, client.app[CLOCK]).create(
        "robot", ("slots:write",)
    )
    times = [NOW + timedelta(days=3, hours=h) for h in (0, 4, 24)]
    items = [
        {
            "external_id": f"VAGA-{n}",
            "unit": "centro",
            "doctor": "Dra. Cláudia Guimarães",
            "specialty": "Cardiologia",
            "starts_at": at.isoformat(),
            "duration_minutes": 30,
        }
        for n, at in enumerate(times, start=1)
    ]
    headers = {"Authorization": f"Bearer {secret}"}
    response = await client.put("/api/v1/slots", json={"items": items}, headers=headers)
    assert response.status == 200


async def test_offer_goes_as_a_list_and_a_tapped_item_is_held(
    client: Client, twilio: FakeTwilio, fake_settings: Settings
) -> None:
    await _robot_pushes_slots(client)
    appointment = builders.appointment(
        phone=PHONE, starts_at=NOW + timedelta(days=1), specialty="Cardiologia"
    )
    store = client.app[STORE]
    await store.appointments.upsert(appointment)
    assert await client.app[CONVERSATIONS].start("c-a1", "confirmation", [appointment])

    assert (await twilio.receive(PHONE, "3")).answer == 200  # the menu's "remarcar"
    assert await _settle(client, "c-a1") == "choosing_slot"
    offer = (await store.outbox.for_conversation("c-a1"))[-1]
    assert len(offer.choices) == 3
    assert await _send(client, fake_settings, offer.key) is OutboxState.SENT

    sent = twilio.messages[-1].form
    assert "Body" not in sent  # the list went, not the text
    picker = twilio.templates[sent["ContentSid"]]
    assert picker.kind == LIST_PICKER
    assert picker.button == LIST_BUTTON
    assert picker.body == offer.text  # the numbered text, to answer by number or in words
    assert [item["id"] for item in picker.items] == [c[0] for c in offer.choices]
    assert all(len(item["item"]) <= 24 for item in picker.items)
    assert picker.items[1]["description"] == "com Dra. Cláudia Guimarães"

    second = picker.items[1]
    assert (await twilio.receive(PHONE, list_item=(second["id"], second["item"]))).answer == 200
    assert await _settle(client, "c-a1") == "slot_requested"
    held = await store.slots.get(second["id"].removeprefix("slot:"))
    assert held is not None
    assert held.external_id == "VAGA-2"
    assert held.state is SlotState.OPEN
    assert held.held_by is not None  # held for Maria, on its way to the robot


async def test_a_list_twilio_refuses_goes_as_the_numbered_text(
    twilio: FakeTwilio, fake_settings: Settings
) -> None:
    await twilio.receive(PHONE, "oi")  # her window is open
    too_long = ("slot:1", "terça-feira, 8 de dezembro, às 09:00", "com Dra. Ana")  # item > 24
    message = OutboundMessage(
        key="c-x:choosing_slot:reply:1",
        to=PHONE,
        sender="whatsapp:+5511930000001",
        text="1. terça-feira, 8 de dezembro, às 09:00, com Dra. Ana",
        choices=(too_long,),
    )
    messenger = TwilioMessenger(fake_settings)
    try:
        result = await messenger.send(message)
    finally:
        await messenger.aclose()
    assert result.outcome is SendOutcome.ACCEPTED
    assert twilio.content_refused == ["item is required, at most 24 characters"]
    assert twilio.messages[-1].form["Body"] == message.text
    assert "ContentSid" not in twilio.messages[-1].form
