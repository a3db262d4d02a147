"""Twilio's webhooks through the real create_app, real MongoDB-wire and Redis-wire servers.

Patients' messages come from the strict fake Twilio (``twilio`` fixture), as
Twilio posts them. Two kinds of request are still built here by hand, with
``tests.twilio_signing``: forged ones (the fake only ever signs correctly), and
status callbacks for outbox entries written straight to the store in an order
chosen here (the fake posts callbacks only for messages it sent; those are
covered end to end in ``test_delivery_failures.py``).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from bot.adapters.memory import MemoryQueue
from bot.core.model import Appointment, AppointmentStatus
from bot.core.outbox import STATUS_RANK
from bot.core.ports import OutboxState
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import CONVERSATIONS, DB, QUEUE, STORE, TEMPLATE_CHECK
from tests.builders import patient
from tests.fakes.twilio import FakeTwilio
from tests.fakes.twilio_inbound import webhook_form
from tests.twilio_signing import (
    PUBLIC,
    message_sid,
    post_signed,
    signature,
    status_form,
)
from tests.web.conftest import no_template_check, patients_of, started

Client = TestClient[Any, Any]
NOW = datetime.now(UTC).replace(microsecond=0)
SMX9, SMLOST = message_sid("SMX9"), message_sid("SMLOST")


def _appointment(n: int, phone: str | None = None) -> Appointment:
    return patient(n, starts_at=NOW + timedelta(days=1), **({"phone": phone} if phone else {}))


async def _start(client: Client, appointment: Appointment) -> str:
    app = client.app
    await app[STORE].appointments.upsert(appointment)
    conversation = await app[CONVERSATIONS].start(
        f"c-{appointment.id}", "confirmation", [appointment]
    )
    assert conversation is not None
    return conversation.id


async def _settle(client: Client, within: float = 20.0) -> None:
    """Wait until every stored message had its turn."""
    store = client.app[STORE]
    deadline = asyncio.get_running_loop().time() + within
    while await store.inbound.unprocessed(datetime.now(UTC) + timedelta(days=1), 1):
        assert asyncio.get_running_loop().time() < deadline, "turns did not finish"
        await asyncio.sleep(0.05)


async def _count(client: Client, collection: str, query: dict[str, Any] | None = None) -> int:
    return int(await client.app[DB][collection].count_documents(query or {}))


async def test_signed_reply_is_stored_answered_and_applied(
    client: Client, twilio: FakeTwilio
) -> None:
    await _start(client, _appointment(1))
    posted = await twilio.receive("+5511900000001", "sim, estarei lá")
    assert posted.answer == 200
    assert posted.content_type == "application/xml"
    assert "<Response></Response>" in (posted.text or "")
    await _settle(client)
    conversation = await client.app[STORE].conversations.get("c-a1")
    assert conversation is not None
    assert conversation.state == "confirmed"
    appointment = await client.app[STORE].appointments.get("a1")
    assert appointment is not None
    assert appointment.status is AppointmentStatus.CONFIRMED
    queue: MemoryQueue = client.app[QUEUE]  # type: ignore[assignment]
    kinds = [(await client.app[STORE].outbox.get(key)).kind for key in queue.sends]  # type: ignore[union-attr]
    assert kinds == ["reminder", "reply"]


async def test_button_payload_wins_over_text_and_old_wa_id_matches(
    client: Client, twilio: FakeTwilio
) -> None:
    # The clinic has the 9-digit number; WhatsApp still reports the old 8-digit WaId.
    await _start(client, _appointment(2, phone="+5561987650002"))
    posted = await twilio.receive("+556187650002", button=("confirm", "Desmarcar"))
    assert posted.answer == 200
    await _settle(client)
    conversation = await client.app[STORE].conversations.get("c-a2")
    assert conversation is not None
    assert conversation.state == "confirmed"


@pytest.mark.parametrize(
    ("written_to", "answered_from"),
    [
        ("whatsapp:+5511930000002", "whatsapp:+5511930000002"),  # our other unit's number
        ("whatsapp:+5511999999999", "whatsapp:+5511930000001"),  # not ours: the unit's number
    ],
)
async def test_the_answer_comes_from_the_number_the_patient_wrote_to(
    client: Client, twilio: FakeTwilio, written_to: str, answered_from: str
) -> None:
    await _start(client, _appointment(4))  # at "centro", whatsapp:+5511930000001
    assert (await twilio.receive("+5511900000004", "sim", to=written_to)).answer == 200
    await _settle(client)
    queue: MemoryQueue = client.app[QUEUE]  # type: ignore[assignment]
    entries = [await client.app[STORE].outbox.get(key) for key in queue.sends]
    assert [(e.kind, e.sender) for e in entries if e is not None] == [
        ("reminder", "whatsapp:+5511930000001"),
        ("reply", answered_from),
    ]


async def test_replayed_webhook_is_a_no_op(client: Client, twilio: FakeTwilio) -> None:
    await _start(client, _appointment(3))
    message = twilio.compose("+5511900000003", "2")
    for _ in range(3):
        assert (await twilio.deliver(message)).answer == 200
    await _settle(client)
    assert await _count(client, "inbound") == 1
    conversation = await client.app[STORE].conversations.get("c-a3")
    assert conversation is not None
    assert (conversation.state, conversation.version) == ("confirm_cancel", 1)


async def test_media_and_empty_bodies_go_to_a_person_not_a_cancellation(
    client: Client, twilio: FakeTwilio
) -> None:
    await _start(client, _appointment(4))
    assert (await twilio.receive("+5511900000004", media=("audio/ogg",))).answer == 200
    await _settle(client)
    conversation = await client.app[STORE].conversations.get("c-a4")
    assert conversation is not None
    assert conversation.state == "handoff"
    assert await _count(client, "cancellations") == 0


FORGERIES = [
    "wrong token",
    "tampered field",
    "added field",
    "missing header",
    "wrong url",
    "http url",
]


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_forged_requests_get_403_and_write_nothing(client: Client, forgery: str) -> None:
    # By hand: what is forged here is what the fake Twilio always gets right.
    for n in range(100):
        form = webhook_form(message_sid(f"SMF{n}"), "+5511900000009", "cancelar")
        path, headers = (
            "/webhooks/twilio/messages",
            {"X-Twilio-Signature": signature("/webhooks/twilio/messages", form)},
        )
        if forgery == "wrong token":
            headers["X-Twilio-Signature"] = signature(path, form, token="not-the-token")
        elif forgery == "tampered field":
            form = {**form, "Body": "sim"}
        elif forgery == "added field":
            form = {**form, "Extra": "x"}
        elif forgery == "missing header":
            headers = {}
        elif forgery == "wrong url":
            path = "/webhooks/twilio/messages?x=1"
        elif forgery == "http url":
            headers["X-Twilio-Signature"] = signature(
                path, form, base=PUBLIC.replace("https", "http")
            )
        response = await client.post(path, data=form, headers=headers)
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "bad_signature"
    assert await _count(client, "inbound") == 0
    assert await _count(client, "status_events") == 0


async def test_unknown_fields_are_covered_by_the_signature(
    client: Client, twilio: FakeTwilio
) -> None:
    await _start(client, _appointment(5))
    posted = await twilio.receive("+5511900000005", "1", extra={"BrandNewTwilioField": "surprise"})
    assert posted.answer == 200


async def test_200_patients_each_posted_three_times_concurrently(
    client: Client, twilio: FakeTwilio
) -> None:
    patients = [_appointment(100 + n) for n in range(200)]
    for appointment in patients:
        await _start(client, appointment)
    messages = [twilio.compose(a.phone, "sim") for a in patients]
    posts = [twilio.deliver(message) for message in messages for _ in range(3)]
    random.shuffle(posts)
    posted = await asyncio.gather(*posts)
    assert {p.answer for p in posted} == {200}
    await _settle(client, within=60)
    assert await _count(client, "inbound") == 200
    assert await _count(client, "conversations", {"state": "confirmed", "version": 1}) == 200
    assert await _count(client, "outbox", {"kind": "reply"}) == 200


async def test_one_patients_burst_is_applied_in_arrival_order(
    aiohttp_client: Any, twilio_settings: Settings, redis: Redis
) -> None:
    # No burst merging here: every message is its own step, as if sent one by one.
    settings = twilio_settings.model_copy(
        update={"conversations": replace_burst(twilio_settings, timedelta(0))}
    )
    app = create_app(settings, overrides={QUEUE: MemoryQueue(), TEMPLATE_CHECK: no_template_check})
    # Indexes first: SecantusDB can deadlock when createIndexes creates a collection while
    # an insert creates it too (seen here: the server stopped answering for good).
    client = await started(aiohttp_client, app)
    await _start(client, _appointment(7))
    # Unknown replies ask again, the second hands off, and a handed-off
    # conversation takes no more steps: the sequential result is fixed.
    twilio = patients_of(client)
    messages = [twilio.compose("+5511900000007", "blá") for _ in range(50)]
    posted = await asyncio.gather(*(twilio.deliver(message) for message in messages))
    await twilio.close()
    assert {p.answer for p in posted} == {200}
    await _settle(client, within=60)
    conversation = await app[STORE].conversations.get("c-a7")
    assert conversation is not None
    assert conversation.state == "handoff"
    assert conversation.version == 2  # reminder = 0, ask again = 1, hand off = 2
    assert await _count(client, "inbound", {"processed_at": None}) == 0


def replace_burst(settings: Settings, window: timedelta) -> Any:
    return settings.conversations.model_copy(update={"burst_window": window})


async def test_status_callbacks_shuffled_and_duplicated_end_on_the_most_advanced(
    client: Client,
) -> None:
    store = client.app[STORE]
    await _start(client, _appointment(8))
    entry = await store.outbox.get(next(iter(client.app[QUEUE].sends)))  # type: ignore[attr-defined]
    assert entry is not None
    rng = random.Random(7)
    callbacks = []
    expected_status: dict[str, str] = {}
    for n in range(250):  # about 1,000 callbacks, then 30% more as duplicates
        final = rng.choice(["delivered", "read", "undelivered"])
        path = ["queued", "sending", "sent", final]
        if final == "read":
            path.insert(3, "delivered")
        key = f"{entry.key}#{n}"
        await store.outbox.add(replace(entry, key=key, provider_sid=message_sid(f"SMS{n}")))
        events = [(key, message_sid(f"SMS{n}"), status) for status in path]
        events += [e for e in events if rng.random() < 0.3]  # 30% duplicated
        callbacks += events
        expected_status[key] = final
    rng.shuffle(callbacks)

    async def post(key: str, sid: str, status: str) -> int:
        form = status_form(sid, status, entry.phone)
        if status == "undelivered":
            form["ErrorCode"] = "30003"
        path = f"/webhooks/twilio/status?key={key.replace('#', '%23')}"
        return (await post_signed(client, path, form)).status

    assert len(callbacks) > 1000
    for chunk in range(0, len(callbacks), 50):
        statuses = await asyncio.gather(*(post(*c) for c in callbacks[chunk : chunk + 50]))
        assert set(statuses) == {204}
    wrong = []
    for key, expected in expected_status.items():
        stored = await store.outbox.get(key)
        assert stored is not None
        if stored.delivery_status != expected:
            wrong.append((key, stored.delivery_status, expected))
    assert wrong == []
    assert STATUS_RANK["read"] > STATUS_RANK["delivered"] > STATUS_RANK["undelivered"]


async def test_permanently_failed_reminder_puts_the_patient_on_the_call_list(
    client: Client,
) -> None:
    store = client.app[STORE]
    await _start(client, _appointment(9))
    key = client.app[QUEUE].sends[0]  # type: ignore[attr-defined]
    await store.outbox.update(key, OutboxState.PENDING, state=OutboxState.SENT, provider_sid=SMX9)
    form = status_form(SMX9, "failed", "+5511900000009", ErrorCode="63024")
    assert (await post_signed(client, f"/webhooks/twilio/status?key={key}", form)).status == 204
    appointment = await store.appointments.get("a9")
    assert appointment is not None
    assert appointment.status is AppointmentStatus.DELIVERY_FAILED


async def test_status_callback_settles_a_send_whose_answer_was_lost(client: Client) -> None:
    store = client.app[STORE]
    await _start(client, _appointment(10))
    key = client.app[QUEUE].sends[0]  # type: ignore[attr-defined]
    await store.outbox.update(key, OutboxState.PENDING, state=OutboxState.UNKNOWN)
    form = status_form(SMLOST, "sent", "+5511900000010")
    assert (await post_signed(client, f"/webhooks/twilio/status?key={key}", form)).status == 204
    entry = await store.outbox.get(key)
    assert entry is not None
    assert (entry.state, entry.provider_sid) == (OutboxState.SENT, SMLOST)


async def test_opt_out_suppresses_and_voltar_restores(client: Client, twilio: FakeTwilio) -> None:
    store = client.app[STORE]
    await _start(client, _appointment(11))
    assert (await twilio.receive("+5511900000011", "SAIR")).answer == 200
    await _settle(client)
    conversation = await store.conversations.get("c-a11")
    assert conversation is not None
    assert conversation.state == "opted_out"
    assert await store.suppressions.is_suppressed("+5511900000011")
    sends = client.app[QUEUE].sends  # type: ignore[attr-defined]
    last = await store.outbox.get(sends[-1])
    assert last is not None
    assert last.kind == "opt_out"  # the confirmation is the one message that may still go
    assert (await twilio.receive("+5511900000011", "Voltar")).answer == 200
    await _settle(client)
    assert not await store.suppressions.is_suppressed("+5511900000011")


async def test_message_without_a_conversation_changes_nothing(
    client: Client, twilio: FakeTwilio
) -> None:
    assert (await twilio.receive("+5511900000012", "vou sair de viagem")).answer == 200
    await _settle(client)
    assert not await client.app[STORE].suppressions.is_suppressed("+5511900000012")
    assert await _count(client, "outbox") == 0
