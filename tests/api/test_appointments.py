"""PUT /api/v1/appointments and GET /api/v1/appointments/{external_id}, through create_app."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from bot.core.model import Appointment, AppointmentStatus, ConversationStatus
from bot.core.ports import Cancellation, OutboxEntry, OutboxState
from bot.settings import Settings
from bot.web.keys import STORE
from tests import builders
from tests.api.conftest import Client, api_settings, in_days, item, start, token_maker
from tests.checks import present

URL = "/api/v1/appointments"


async def _put(client: Client, auth: dict[str, str], items: list[Any], **headers: str) -> Any:
    response = await client.put(URL, json={"items": items}, headers={**auth, **headers})
    return response.status, await response.json(), response.headers


async def _stored(client: Client, external_id: str) -> Appointment:
    """The appointment the store holds for ``external_id`` (the test expects one)."""
    return present(await client.app[STORE].appointments.get_by_external_id(external_id))


async def _push_one(client: Client, auth: dict[str, str]) -> Appointment:
    """The robot pushes item 1 (LEG-1); the appointment as stored."""
    await _put(client, auth, [item(1)])
    return await _stored(client, "LEG-1")


async def _conversation_about(client: Client, appointment: Appointment, now: datetime) -> None:
    """Conversation conv-1 with the appointment's patient, about it, started ``now``."""
    conversation = builders.conversation(
        id="conv-1",
        phone=appointment.phone,
        appointment_ids=(appointment.id,),
        created_at=now,
        updated_at=now,
    )
    await client.app[STORE].conversations.create(conversation)


async def test_push_creates_then_is_idempotent_then_updates(
    client: Client, auth: dict[str, str]
) -> None:
    batch = [item(n) for n in range(1, 6)]
    status, body, _ = await _put(client, auth, batch)
    assert status == 200, body
    assert body["summary"] == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 0}
    assert [r["external_id"] for r in body["items"]] == [f"LEG-{n}" for n in range(1, 6)]
    ids = [r["id"] for r in body["items"]]

    status, body, _ = await _put(client, auth, batch)
    assert body["summary"] == {"created": 0, "updated": 0, "unchanged": 5, "rejected": 0}
    assert [r["id"] for r in body["items"]] == ids  # the first id stays

    batch[2] = item(3, doctor="Dr. Outro Médico")
    status, body, _ = await _put(client, auth, batch)
    assert body["summary"] == {"created": 0, "updated": 1, "unchanged": 4, "rejected": 0}
    assert body["items"][2]["result"] == "updated"
    stored = await _stored(client, "LEG-3")
    assert stored.doctor == "Dr. Outro Médico"
    assert stored.phone == "+5511980030003"  # normalised to E.164


async def test_bad_items_are_rejected_with_paths_and_never_written(
    client: Client, auth: dict[str, str]
) -> None:
    naive = in_days(3)[:19]  # no offset
    batch: list[Any] = [
        item(1),
        item(2, phone="12345"),
        item(3, starts_at=naive),
        item(4, unit="marte"),
        item(5, surprise="x"),
        "not an object",
        item(1, doctor="A twin"),
        item(8, status="confirmed", patient_name="  "),
        item(9, starts_at=1_800_000_000),
        item(10, patient_name="Nul\x00Byte"),
    ]
    status, body, _ = await _put(client, auth, batch)
    assert status == 200, body
    results = body["items"]
    assert [r["result"] for r in results] == ["created"] + ["rejected"] * 9
    paths = [[e["path"] for e in r["errors"]] for r in results]
    assert paths[1] == ["items.1.phone"]
    assert paths[2] == ["items.2.starts_at"]
    assert paths[3] == ["items.3.unit"]
    assert paths[4] == ["items.4.surprise"]
    assert paths[5] == ["items.5"]
    assert paths[6] == ["items.6.external_id"]
    assert sorted(paths[7]) == ["items.7.patient_name", "items.7.status"]
    assert paths[8] == ["items.8.starts_at"]
    assert paths[9] == ["items.9.patient_name"]
    assert results[5]["external_id"] is None
    assert body["summary"]["rejected"] == 9
    store = client.app[STORE]
    for n in (2, 3, 4, 5, 8, 9, 10):
        assert await store.appointments.get_by_external_id(f"LEG-{n}") is None
    one = await _stored(client, "LEG-1")
    assert one.doctor != "A twin"
    # Nothing of what was sent is echoed back (it may be personal data).
    assert "12345" not in str(body)


async def test_envelope_errors_are_422_with_paths(client: Client, auth: dict[str, str]) -> None:
    cases: list[tuple[Any, str]] = [
        ([item(1)], "body"),
        ({"itens": []}, "itens"),
        ({"items": "x"}, "items"),
    ]
    for payload, path in cases:
        response = await client.put(URL, json=payload, headers=auth)
        assert response.status == 422
        body = await response.json()
        assert body["error"]["code"] == "invalid"
        assert path in [e["path"] for e in body["error"]["errors"]], body
    for raw in (b"{not json", b"\xff\xfe", b'{"items": [NaN]}', b"[" * 100_000):
        response = await client.put(URL, data=raw, headers=auth)
        assert response.status == 422, raw[:10]
        assert (await response.json())["error"]["errors"][0]["path"] == "body"


async def test_limits_batch_size_and_body_size(
    aiohttp_client: Any, settings: Settings, redis: Redis
) -> None:
    client = await start(aiohttp_client, api_settings(settings, max_batch=3, max_body=4096))
    auth = await token_maker(client)()
    status, body, _ = await _put(client, auth, [item(n) for n in range(4)])
    assert status == 422
    assert body["error"]["errors"][0]["path"] == "items"
    response = await client.put(URL, data=b'{"items": [' + b" " * 5000 + b"]}", headers=auth)
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "too_large"


async def test_idempotency_key_replays_and_refuses_another_body(
    client: Client, auth: dict[str, str]
) -> None:
    key = str(uuid.uuid4())
    status, first, headers = await _put(client, auth, [item(1)], **{"Idempotency-Key": key})
    assert status == 200
    assert "Idempotent-Replayed" not in headers
    status, again, headers = await _put(client, auth, [item(1)], **{"Idempotency-Key": key})
    assert status == 200
    assert headers["Idempotent-Replayed"] == "true"
    assert again == first  # "created" again: the first answer, replayed
    status, body, _ = await _put(client, auth, [item(2)], **{"Idempotency-Key": key})
    assert status == 409
    assert body["error"]["code"] == "idempotency_key_reused"
    status, body, _ = await _put(client, auth, [item(1)], **{"Idempotency-Key": "bad key"})
    assert status == 422
    assert body["error"]["errors"][0]["path"] == "header.Idempotency-Key"


async def test_concurrent_requests_with_one_key_run_once(
    client: Client, auth: dict[str, str]
) -> None:
    key = str(uuid.uuid4())
    batch = [item(n) for n in range(1, 21)]
    answers = await asyncio.gather(
        *(_put(client, auth, batch, **{"Idempotency-Key": key}) for _ in range(4))
    )
    assert [status for status, _, _ in answers] == [200] * 4
    bodies = [body for _, body, _ in answers]
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["summary"]["created"] == 20


async def test_patient_answer_survives_a_push_but_a_new_time_restarts_the_cycle(
    client: Client, auth: dict[str, str]
) -> None:
    store = client.app[STORE]
    created = await _push_one(client, auth)
    assert created.reminder_due_at is not None
    await store.appointments.set_status(created.id, AppointmentStatus.CONFIRMED)

    _, body, _ = await _put(client, auth, [item(1)])
    assert body["items"][0]["result"] == "unchanged"
    _, body, _ = await _put(client, auth, [item(1, specialty="Clínica geral")])
    assert body["items"][0]["result"] == "updated"
    kept = await _stored(client, "LEG-1")
    assert kept.status is AppointmentStatus.CONFIRMED

    await store.appointments.set_reminder_due(created.id, None)
    _, body, _ = await _put(client, auth, [item(1, starts_at=in_days(5, hour=9))])
    assert body["items"][0]["result"] == "updated"
    moved = await _stored(client, "LEG-1")
    assert moved.status is AppointmentStatus.SCHEDULED
    assert moved.reminder_due_at is not None  # a new cycle for the new time


async def test_clinic_cancellation_stops_the_conversation_and_tells_the_patient(
    client: Client, auth: dict[str, str]
) -> None:
    store = client.app[STORE]
    appointment = await _push_one(client, auth)
    now = datetime.now(UTC)
    await _conversation_about(client, appointment, now)
    _, body, _ = await _put(client, auth, [item(1, status="cancelled")])
    assert body["items"][0]["result"] == "updated"
    conversation = await store.conversations.get("conv-1")
    assert conversation is not None
    assert conversation.status is ConversationStatus.DONE
    cancelled = await _stored(client, "LEG-1")
    assert cancelled.status is AppointmentStatus.CANCELLED
    assert cancelled.reminder_due_at is None
    notice = await store.outbox.get(
        f"clinic_cancel:{appointment.id}:{int(appointment.starts_at.timestamp())}"
    )
    assert notice is not None
    assert notice.kind == "notice"
    # Pushing the cancelled appointment again changes nothing and tells nobody twice.
    _, body, _ = await _put(client, auth, [item(1, status="cancelled")])
    assert body["items"][0]["result"] == "unchanged"


async def test_created_cancelled_tells_nobody(client: Client, auth: dict[str, str]) -> None:
    _, body, _ = await _put(client, auth, [item(1, status="cancelled")])
    assert body["items"][0]["result"] == "created"
    outbox = client.app[STORE].outbox
    assert await outbox.in_state(OutboxState.PENDING, 10) == []


async def test_get_appointment_shows_reminders_answer_and_cancellation(
    client: Client, auth: dict[str, str]
) -> None:
    store = client.app[STORE]
    response = await client.get(f"{URL}/LEG-404", headers=auth)
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"
    response = await client.get(f"{URL}/bad%20id", headers=auth)
    assert response.status == 404

    appointment = await _push_one(client, auth)
    now = datetime.now(UTC).replace(microsecond=0)
    await _conversation_about(client, appointment, now)
    entry = OutboxEntry(
        key="conv-1:start:reminder:1",
        conversation_id="conv-1",
        phone=appointment.phone,
        sender="whatsapp:+5511930000001",
        kind="reminder",
        text="Olá",
        created_at=now,
        state=OutboxState.SENT,
        delivery_status="read",
        delivery_rank=4,
    )
    await store.outbox.add(entry)
    await store.outbox.add(replace(entry, key="conv-1:x:reply:1", kind="reply"))
    await store.appointments.set_status(appointment.id, AppointmentStatus.CANCEL_REQUESTED)
    await store.cancellations.add(
        Cancellation(uuid.uuid4().hex, appointment.id, "LEG-1", requested_at=now)
    )

    response = await client.get(f"{URL}/LEG-1", headers=auth)
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "cancel_requested"
    assert body["patient_answer"] == "cancel"
    assert body["reminders"] == [
        {
            "kind": "reminder",
            "queued_at": now.isoformat().replace("+00:00", "Z"),
            "state": "sent",
            "delivery_status": "read",
            "error_code": None,
        }
    ]
    assert body["cancellation"]["state"] == "pending"
    assert "patient_name" not in body
    assert "phone" not in body


async def test_large_batch_runs_in_the_background(
    aiohttp_client: Any, settings: Settings, redis: Redis
) -> None:
    client = await start(aiohttp_client, api_settings(settings, async_batch_threshold=50))
    make = token_maker(client)
    auth = await make()
    batch = [item(n) for n in range(120)] + [item(999, phone="no")]
    status, body, headers = await _put(client, auth, batch)
    assert status == 202, body
    assert body["state"] == "running"
    assert body["total"] == 121
    location = headers["Location"]
    assert location == f"/api/v1/operations/{body['id']}"
    for _ in range(300):
        response = await client.get(location, headers=auth)
        operation = await response.json()
        if operation["state"] != "running":
            break
        await asyncio.sleep(0.05)
    assert operation["state"] == "succeeded", operation
    assert operation["done"] == 121
    assert operation["result"]["summary"] == {
        "created": 120,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }
    other = await make("other-robot")
    assert (await client.get(location, headers=other)).status == 404
    assert (await client.get("/api/v1/operations/nope", headers=auth)).status == 404


async def test_an_empty_idempotency_key_is_422_and_runs_nothing(
    client: Client, auth: dict[str, str]
) -> None:
    for key in ("", " "):
        status, body, _ = await _put(client, auth, [item(1)], **{"Idempotency-Key": key})
        assert status == 422, (key, body)
        assert body["error"]["code"] == "invalid"
        assert body["error"]["errors"][0]["path"] == "header.Idempotency-Key"
    missing = await client.get(f"{URL}/{item(1)['external_id']}", headers=auth)
    assert missing.status == 404  # nothing was written
