"""PUT /api/v1/slots through create_app: idempotent batches, per-item errors, full days withdrawn."""

from __future__ import annotations

from typing import Any

from bot.core.ports import SlotState
from bot.web.keys import STORE
from tests.api.conftest import Client, MakeToken, api_settings, in_days, start

URL = "/api/v1/slots"


def slot(n: int, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "external_id": f"VAGA-{n}",
        "unit": "centro",
        "doctor": "Dra. Cláudia Guimarães",
        "specialty": "Cardiologia",
        "starts_at": in_days(3, hour=8 + n % 10),
        "duration_minutes": 30,
    }
    base.update(changes)
    return base


async def test_push_is_idempotent_and_matched_on_external_id(
    client: Client, auth: dict[str, str]
) -> None:
    body = {"items": [slot(1), slot(2, visit_type="retorno")]}
    first = await (await client.put(URL, json=body, headers=auth)).json()
    assert first["summary"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "withdrawn": 0,
        "full_days_applied": True,
    }
    again = await (await client.put(URL, json=body, headers=auth)).json()
    assert again["summary"]["unchanged"] == 2
    assert [i["id"] for i in again["items"]] == [i["id"] for i in first["items"]]
    moved = {"items": [slot(1, starts_at=in_days(4, hour=9))]}
    result = await (await client.put(URL, json=moved, headers=auth)).json()
    assert result["items"][0]["result"] == "updated"
    stored = await client.app[STORE].slots.get_by_external_id("VAGA-1")
    assert stored is not None
    assert stored.day == in_days(4, hour=9)[:10]  # the unit's local date


async def test_bad_items_are_rejected_one_by_one_and_the_rest_written(
    client: Client, auth: dict[str, str]
) -> None:
    body = {
        "items": [
            slot(1),
            slot(2, unit="nowhere"),
            slot(3, starts_at="2026-12-01T14:30:00"),
            slot(1),
            "not an object",
            slot(5, duration_minutes=0, extra="x"),
        ]
    }
    response = await client.put(URL, json=body, headers=auth)
    assert response.status == 200
    result = await response.json()
    assert [i["result"] for i in result["items"]] == [
        "created",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
    ]
    paths = {e["path"] for i in result["items"] for e in i["errors"]}
    assert {"items.1.unit", "items.3.external_id", "items.4", "items.5.extra"} <= paths
    assert "items.5.duration_minutes" in paths
    assert await client.app[STORE].slots.get_by_external_id("VAGA-2") is None


async def test_a_full_day_withdraws_what_it_no_longer_lists(
    client: Client, auth: dict[str, str]
) -> None:
    day = in_days(3)[:10]
    other = in_days(4)[:10]
    first = {"items": [slot(1), slot(2), slot(3), slot(4, starts_at=in_days(4))]}
    await client.put(URL, json=first, headers=auth)
    later = {"items": [slot(2)], "full_days": [{"unit": "centro", "date": day}]}
    result = await (await client.put(URL, json=later, headers=auth)).json()
    assert result["summary"]["withdrawn"] == 2
    store = client.app[STORE]
    states = {}
    for n in (1, 2, 3, 4):
        stored = await store.slots.get_by_external_id(f"VAGA-{n}")
        assert stored is not None
        states[n] = stored.state
    assert states == {
        1: SlotState.WITHDRAWN,
        2: SlotState.OPEN,
        3: SlotState.WITHDRAWN,
        4: SlotState.OPEN,
    }
    # The day is now empty in the legacy system; a rejected item withdraws nothing.
    empty = {"items": [slot(9, unit="nowhere")], "full_days": [{"unit": "centro", "date": day}]}
    result = await (await client.put(URL, json=empty, headers=auth)).json()
    assert result["summary"]["full_days_applied"] is False
    assert result["summary"]["withdrawn"] == 0
    gone = {
        "items": [],
        "full_days": [{"unit": "centro", "date": day}, {"unit": "centro", "date": other}],
    }
    result = await (await client.put(URL, json=gone, headers=auth)).json()
    assert result["summary"]["withdrawn"] == 2


async def test_bad_envelopes_and_full_days_write_nothing(
    client: Client, auth: dict[str, str]
) -> None:
    for body, path in (
        ([slot(1)], "body"),
        ({"items": [slot(1)], "more": 1}, "more"),
        (
            {"items": [slot(1)], "full_days": [{"unit": "centro", "date": "amanhã"}]},
            "full_days.0.date",
        ),
    ):
        response = await client.put(URL, json=body, headers=auth)
        assert response.status == 422, body
        answer = await response.json()
        assert path in {e["path"] for e in answer["error"]["errors"]}
    assert await client.app[STORE].slots.get_by_external_id("VAGA-1") is None


async def test_needs_the_slots_scope_and_the_batch_limit(
    aiohttp_client: Any, settings: Any, redis: Any
) -> None:
    client = await start(aiohttp_client, api_settings(settings, max_batch=2))
    from tests.api.conftest import token_maker

    make: MakeToken = token_maker(client)
    other = await make("reader", ("appointments:write",))
    response = await client.put(URL, json={"items": [slot(1)]}, headers=other)
    assert response.status == 403
    auth = await make("robot", ("slots:write",))
    response = await client.put(URL, json={"items": [slot(1), slot(2), slot(3)]}, headers=auth)
    assert response.status == 422
    assert (await response.json())["error"]["errors"][0]["path"] == "items"
