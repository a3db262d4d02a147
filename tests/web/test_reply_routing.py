"""Replies reach the conversation they answer, through the real webhook and a real send.

The reminders go out through the real sending path to the fake Twilio, so the
sid each reply names (``OriginalRepliedMessageSid``) is the one Twilio gave.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.core.model import Appointment, AppointmentStatus, ConversationStatus, handed_to_staff
from bot.core.ports import OutboxState
from bot.settings import Settings
from bot.web.keys import CONVERSATIONS, DB, STORE
from tests.builders import patient
from tests.fakes.sending import send_to_twilio
from tests.fakes.twilio import FakeTwilio
from tests.fakes.twilio_inbound import webhook_form
from tests.twilio_signing import TOKEN, message_sid, post_signed
from tests.web.console import log_in
from tests.web.test_webhooks import _settle

# Each test sends real reminders and runs real turns: more than the default minute on a loaded machine.
pytestmark = pytest.mark.timeout(180)

Client = TestClient[Any, Any]
NOW = datetime.now(UTC).replace(microsecond=0)
PHONE = "+5511900000071"


def _appointment(n: int, days: int, phone: str = PHONE) -> Appointment:
    return patient(n, phone=phone, starts_at=NOW + timedelta(days=days))


@pytest.fixture(autouse=True)
def _twilio_knows_our_credentials(fake_twilio: tuple[FakeTwilio, str]) -> None:
    """The strict fake refuses a send with another account's token (20003)."""
    fake_twilio[0].auth_token = TOKEN


async def _remind(
    client: Client, settings: Settings, twilio_url: str, appointment: Appointment
) -> str:
    """Start the appointment's conversation and send its reminder to the fake Twilio; its sid."""
    store = client.app[STORE]
    await store.appointments.upsert(appointment)
    conversation = await client.app[CONVERSATIONS].start(
        f"c-{appointment.id}", "confirmation", [appointment]
    )
    assert conversation is not None
    (reminder,) = await store.outbox.for_conversation(conversation.id)
    sending = settings.model_copy(update={"twilio_api_base_url": twilio_url})
    state = await send_to_twilio(reminder.key, store, sending)
    assert state is OutboxState.SENT
    sent = await store.outbox.get(reminder.key)
    assert sent is not None
    assert sent.provider_sid is not None
    return sent.provider_sid


async def _tap(client: Client, sid: str, button: str, label: str, replied_to: str) -> None:
    form = webhook_form(sid, PHONE, label, button=(button, label), replied_to=replied_to)
    assert (await post_signed(client, "/webhooks/twilio/messages", form)).status == 200
    await _settle(client)


async def _states(client: Client) -> dict[str, tuple[str, AppointmentStatus]]:
    store = client.app[STORE]
    found = {}
    for n in (1, 2):
        conversation = await store.conversations.get(f"c-a{n}")
        appointment = await store.appointments.get(f"a{n}")
        assert conversation is not None
        assert appointment is not None
        found[f"a{n}"] = (conversation.state, appointment.status)
    return found


async def test_two_reminders_two_taps_two_right_appointments(
    client: Client, twilio_settings: Settings, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    fake, url = fake_twilio
    # Tomorrow's reminder went out first; the one for the day after is the newest conversation.
    first = await _remind(client, twilio_settings, url, _appointment(1, days=1))
    second = await _remind(client, twilio_settings, url, _appointment(2, days=2))
    assert {first, second} == {m.sid for m in fake.messages}
    # "Confirmar" on the older reminder: without its context the newest would take it.
    await _tap(client, message_sid("SMR1"), "confirm", "Confirmar", replied_to=first)
    assert await _states(client) == {
        "a1": ("confirmed", AppointmentStatus.CONFIRMED),
        "a2": ("awaiting_reply", AppointmentStatus.SCHEDULED),
    }
    await _tap(client, message_sid("SMR2"), "cancel", "Desmarcar", replied_to=second)
    states = await _states(client)
    assert states["a1"] == ("confirmed", AppointmentStatus.CONFIRMED)
    assert states["a2"][0] == "confirm_cancel"  # "really cancel?" asked about its own day


async def test_a_tap_on_a_finished_reminder_moves_no_other_appointment(
    client: Client, twilio_settings: Settings, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    _, url = fake_twilio
    first = await _remind(client, twilio_settings, url, _appointment(1, days=1))
    await _remind(client, twilio_settings, url, _appointment(2, days=2))
    await _tap(client, message_sid("SMR1"), "confirm", "Confirmar", replied_to=first)
    await _tap(client, message_sid("SMR2"), "cancel", "Desmarcar", replied_to=first)  # a1's is done
    states = await _states(client)
    # a1's own finished conversation answers (issue 16: no silence after the end): it asks
    # whether to cancel a1; a2 is not touched.
    assert states == {
        "a1": ("confirm_cancel", AppointmentStatus.CONFIRMED),
        "a2": ("awaiting_reply", AppointmentStatus.SCHEDULED),
    }
    assert await client.app[DB]["cancellations"].count_documents({}) == 0


async def test_a_hand_off_does_not_swallow_the_answer_to_another_conversation(
    client: Client, twilio_settings: Settings, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    _, url = fake_twilio
    await _remind(client, twilio_settings, url, _appointment(1, days=1))
    await _remind(client, twilio_settings, url, _appointment(2, days=2))
    store = client.app[STORE]
    newest = await store.conversations.get("c-a2")
    assert newest is not None
    await store.conversations.save(handed_to_staff(newest, datetime.now(UTC)))
    form = webhook_form(message_sid("SMR3"), PHONE, "sim, confirmo")  # no reply context
    assert (await post_signed(client, "/webhooks/twilio/messages", form)).status == 200
    await _settle(client)
    states = await _states(client)
    assert states["a1"] == ("confirmed", AppointmentStatus.CONFIRMED)
    handed = await store.conversations.get("c-a2")
    assert handed is not None
    assert handed.status is ConversationStatus.HANDED_OFF


async def test_a_whatsapp_id_that_is_not_a_phone_goes_to_a_person(
    client: Client, twilio_settings: Settings, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    _, url = fake_twilio
    reminder = await _remind(client, twilio_settings, url, _appointment(1, days=1))
    # A business-scoped user id whose digits are a valid Brazilian mobile with a running
    # conversation: read as a phone, "sim" would confirm that patient's appointment.
    await _remind(client, twilio_settings, url, _appointment(2, days=1, phone="+5511987650072"))
    bsuid = "whatsapp:BR.5511987650072"
    for sid, replied_to in ((message_sid("SMB1"), None), (message_sid("SMB2"), reminder)):
        form = webhook_form(sid, PHONE, "sim", replied_to=replied_to)
        form.update({"From": bsuid, "WaId": "BR.5511987650072"})
        assert (await post_signed(client, "/webhooks/twilio/messages", form)).status == 200
    await _settle(client)
    store = client.app[STORE]
    untouched = await store.conversations.get("c-a2")
    assert untouched is not None
    assert (untouched.state, untouched.status) == ("awaiting_reply", ConversationStatus.ACTIVE)
    answered = await store.conversations.get("c-a1")
    assert answered is not None
    assert answered.status is ConversationStatus.HANDED_OFF  # the one it replied to
    assert answered.state == "awaiting_reply"  # no bot decision on it
    kept = await store.inbound.unprocessed(datetime.now(UTC) + timedelta(days=1), 10)
    assert kept == []  # both handled: stored, and left for a person
    docs = await client.app[DB]["inbound"].find({}).to_list()
    assert {doc["_id"] for doc in docs} == {message_sid("SMB1"), message_sid("SMB2")}
    for doc in docs:
        message = store.inbound.sealer.decode("inbound", doc)
        assert (message["phone"], message["user_id"]) == ("", bsuid)
    assert await client.app[DB]["outbox"].count_documents({"kind": "reply"}) == 0
    # Staff see both: the conversation it answered in the queue, the raw id beside the text.
    headers, _ = await log_in(client)
    page = await (await client.get("/console/atendimento", headers=headers)).text()
    assert 'data-conversation="c-a1"' in page
    assert 'data-conversation="c-a2"' not in page
    assert page.count(bsuid) == 2
    assert f'data-message="{message_sid("SMB1")}"' in page
