"""GET /api/v1/cancellations and POST /api/v1/cancellations/{id}/ack, through create_app."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from bot.core.model import AppointmentStatus
from bot.core.ports import Cancellation
from bot.services.cancellations import CancellationService
from bot.web.keys import CLOCK, STORE
from tests.api.conftest import Client, item

URL = "/api/v1/cancellations"


async def _patients_cancel(client: Client, auth: dict[str, str], count: int) -> list[str]:
    """Push ``count`` appointments and have each patient cancel (as a conversation would)."""
    store = client.app[STORE]
    response = await client.put(
        "/api/v1/appointments", json={"items": [item(n) for n in range(count)]}, headers=auth
    )
    assert response.status == 200
    ids = []
    start = datetime.now(UTC) - timedelta(hours=1)
    for n in range(count):
        appointment = await store.appointments.get_by_external_id(f"LEG-{n}")
        assert appointment is not None
        await store.appointments.set_status(appointment.id, AppointmentStatus.CANCEL_REQUESTED)
        cancellation_id = uuid.uuid4().hex
        await store.cancellations.add(
            Cancellation(cancellation_id, appointment.id, f"LEG-{n}", start + timedelta(minutes=n))
        )
        ids.append(cancellation_id)
    return ids


async def _ack(
    client: Client, auth: dict[str, str], cid: str, result: str, detail: str = ""
) -> int:
    response = await client.post(
        f"{URL}/{cid}/ack", json={"result": result, "detail": detail}, headers=auth
    )
    return response.status


async def test_read_oldest_first_page_by_cursor_until_acknowledged(
    client: Client, auth: dict[str, str]
) -> None:
    ids = await _patients_cancel(client, auth, 5)
    response = await client.get(URL, params={"limit": "2"}, headers=auth)
    page = await response.json()
    assert [c["id"] for c in page["items"]] == ids[:2]
    assert [c["external_id"] for c in page["items"]] == ["LEG-0", "LEG-1"]
    assert all(c["state"] == "pending" for c in page["items"])
    seen = list(page["items"])
    while page["next_cursor"] is not None:
        response = await client.get(
            URL, params={"after": page["next_cursor"], "limit": "2"}, headers=auth
        )
        page = await response.json()
        seen += page["items"]
    assert [c["id"] for c in seen] == ids

    assert await _ack(client, auth, ids[1], "applied", "cancelado no sistema") == 200
    # From the start again: everything not acknowledged, and only that.
    page = await (await client.get(URL, headers=auth)).json()
    assert [c["id"] for c in page["items"]] == [ids[0], *ids[2:]]
    assert page["next_cursor"] is None


async def test_applied_cancels_the_appointment_and_acks_are_idempotent(
    client: Client, auth: dict[str, str]
) -> None:
    [cid] = await _patients_cancel(client, auth, 1)
    response = await client.post(f"{URL}/{cid}/ack", json={"result": "applied"}, headers=auth)
    assert response.status == 200
    body = await response.json()
    assert body["state"] == "applied"
    assert body["acknowledged_at"] is not None
    appointment = await client.app[STORE].appointments.get_by_external_id("LEG-0")
    assert appointment is not None
    assert appointment.status is AppointmentStatus.CANCELLED

    assert await _ack(client, auth, cid, "applied", "again") == 200  # a retry: no-op
    response = await client.post(f"{URL}/{cid}/ack", json={"result": "failed"}, headers=auth)
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "conflict"
    # The robot then pushes the appointment as cancelled: nothing new happens.
    response = await client.put(
        "/api/v1/appointments", json={"items": [item(0, status="cancelled")]}, headers=auth
    )
    assert (await response.json())["items"][0]["result"] == "unchanged"


async def test_failed_goes_to_the_staff_list(client: Client, auth: dict[str, str]) -> None:
    ids = await _patients_cancel(client, auth, 2)
    assert await _ack(client, auth, ids[0], "failed", "agenda bloqueada") == 200
    service = CancellationService(client.app[STORE], client.app[CLOCK])
    [failed] = await service.failed()
    assert (failed.id, failed.detail) == (ids[0], "agenda bloqueada")
    appointment = await client.app[STORE].appointments.get_by_external_id("LEG-0")
    assert appointment is not None
    assert appointment.status is AppointmentStatus.CANCEL_REQUESTED


async def test_bad_requests(client: Client, auth: dict[str, str]) -> None:
    [cid] = await _patients_cancel(client, auth, 1)
    assert await _ack(client, auth, uuid.uuid4().hex, "applied") == 404
    assert await _ack(client, auth, "not-an-id", "applied") == 404
    response = await client.post(
        f"{URL}/{cid}/ack", json={"result": "done", "extra": 1}, headers=auth
    )
    assert response.status == 422
    paths = sorted(e["path"] for e in (await response.json())["error"]["errors"])
    assert paths == ["extra", "result"]
    response = await client.post(f"{URL}/{cid}/ack", data=b"", headers=auth)
    assert response.status == 422
    for params in ({"limit": "0"}, {"limit": "x"}, {"limit": "1001"}, {"after": "-1"}):
        response = await client.get(URL, params=params, headers=auth)
        assert response.status == 422, params
        [problem] = (await response.json())["error"]["errors"]
        assert problem["path"] == f"query.{next(iter(params))}"
