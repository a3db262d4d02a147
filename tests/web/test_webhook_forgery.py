"""Findings 3 and 7 of issue 17: signed webhooks bent into something Twilio never sent.

Through the real ``create_app`` and real MongoDB-wire / Redis-wire servers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from twilio.request_validator import RequestValidator

from bot.core.model import Appointment
from bot.core.ports import OutboxState
from bot.web.keys import CONVERSATIONS, DB, QUEUE, STORE
from tests.fakes.twilio_inbound import webhook_form
from tests.twilio_signing import (
    PUBLIC,
    TOKEN,
    message_sid,
    post_signed,
    signature,
    status_form,
)

Client = TestClient[Any, Any]
INBOUND = "/webhooks/twilio/messages"


async def _stored(client: Client) -> int:
    return int(await client.app[DB]["inbound"].count_documents({}))


async def test_replay_with_text_shifted_into_message_sid_is_refused_and_stored_nowhere(
    client: Client,
) -> None:
    sid = message_sid("captured")
    captured = webhook_form(sid, "+5511900000021", "sim")
    header = signature(INBOUND, captured)
    assert (
        await client.post(INBOUND, data=captured, headers={"X-Twilio-Signature": header})
    ).status == 200
    before = await _stored(client)
    assert before == 1
    # The signed string is URL + key + value + key + value ... with no separators, so
    # "MessageSid" "<sid>" "MessageType" "text" reads the same as "MessageSid" "<sid>MessageTypetext".
    replay = {k: v for k, v in captured.items() if k != "MessageType"}
    replay["MessageSid"] = sid + "MessageTypetext"
    assert RequestValidator(TOKEN).validate(PUBLIC + INBOUND, replay, header)  # still "valid"
    response = await client.post(INBOUND, data=replay, headers={"X-Twilio-Signature": header})
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_webhook"
    assert await _stored(client) == before


@pytest.mark.parametrize(
    ("change", "drop"),
    [
        ({"MessageSid": "SMnot-a-sid"}, None),
        ({"MessageSid": "AC" + "1" * 32}, None),  # an account sid, not a message sid
        ({"AccountSid": "AC" + "f" * 32}, None),  # someone else's Twilio account
        ({"SmsMessageSid": message_sid("other")}, None),
        ({}, "AccountSid"),
        ({}, "NumMedia"),
        ({}, "To"),
        ({"From": "+5511900000022"}, None),  # not a WhatsApp address
    ],
)
async def test_signed_but_malformed_inbound_webhook_is_400_and_stored_nowhere(
    client: Client, change: dict[str, str], drop: str | None
) -> None:
    form = webhook_form(message_sid("malformed"), "+5511900000022", "sim", extra=change)
    if drop:
        del form[drop]
    response = await post_signed(client, INBOUND, form)
    assert response.status == 400
    assert await _stored(client) == 0


async def _two_entries(client: Client) -> tuple[Any, Any]:
    """Two outbox entries for two patients: ``sent`` has a provider sid, ``lost`` does not yet."""
    store = client.app[STORE]
    appointment = Appointment(
        id="f1",
        external_id="LEG-F1",
        patient_name="Maria Forjada",
        phone="+5511900000031",
        starts_at=datetime.now(UTC) + timedelta(days=1),
        doctor="Dra. Cláudia Guimarães",
        unit="centro",
    )
    await store.appointments.upsert(appointment)
    assert await client.app[CONVERSATIONS].start("c-f1", "confirmation", [appointment])
    entry = await store.outbox.get(client.app[QUEUE].sends[0])  # type: ignore[attr-defined]
    assert entry is not None
    sent = replace(
        entry,
        key="unit-a:sent",
        phone="+5511900000031",
        state=OutboxState.SENT,
        provider_sid=message_sid("sent"),
    )
    lost = replace(entry, key="unit-b:lost", phone="+5521900000032", state=OutboxState.UNKNOWN)
    await store.outbox.add(sent)
    await store.outbox.add(lost)
    return sent, lost


async def test_status_callback_cannot_move_another_messages_outbox_entry(client: Client) -> None:
    store = client.app[STORE]
    sent, lost = await _two_entries(client)
    # Signed callbacks for the first patient's message, pointed at the other unit's entry.
    for status in ("sent", "failed"):
        form = status_form(sent.provider_sid, status, sent.phone, ErrorCode="63024")
        path = f"/webhooks/twilio/status?key={lost.key}"
        assert (await post_signed(client, path, form)).status == 204
    after = await store.outbox.get(lost.key)
    assert after is not None
    assert (after.state, after.provider_sid, after.delivery_status) == (
        OutboxState.UNKNOWN,
        None,
        None,
    )
    # A callback naming a sid that is not the entry's leaves the entry alone too.
    stranger = status_form(message_sid("stranger"), "read", sent.phone)
    path = f"/webhooks/twilio/status?key={sent.key}"
    assert (await post_signed(client, path, stranger)).status == 204
    kept = await store.outbox.get(sent.key)
    assert kept is not None
    assert kept.delivery_status == "failed"  # its own callback above, not the stranger's "read"


async def test_status_callback_settles_its_own_entry_by_key_and_recipient(client: Client) -> None:
    store = client.app[STORE]
    _, lost = await _two_entries(client)
    sid = message_sid("the lost one")
    form = status_form(sid, "delivered", lost.phone)
    assert (
        await post_signed(client, f"/webhooks/twilio/status?key={lost.key}", form)
    ).status == 204
    after = await store.outbox.get(lost.key)
    assert after is not None
    assert (after.state, after.provider_sid, after.delivery_status) == (
        OutboxState.SENT,
        sid,
        "delivered",
    )


async def test_status_callback_from_another_account_is_400(client: Client) -> None:
    sent, _ = await _two_entries(client)
    form = status_form(sent.provider_sid, "read", sent.phone, AccountSid="AC" + "e" * 32)
    response = await post_signed(client, f"/webhooks/twilio/status?key={sent.key}", form)
    assert response.status == 400
    kept = await client.app[STORE].outbox.get(sent.key)
    assert kept is not None
    assert kept.delivery_status is None
