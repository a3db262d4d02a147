"""Tokens on the wire: 401, 403, 429 with Retry-After, revocation on the next request."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from bot.services.tokens import TokenService, new_token
from bot.settings import Settings
from bot.web.keys import CLOCK, STORE
from tests.api.conftest import Client, MakeToken, api_settings, item, start, token_maker

URL = "/api/v1/cancellations"


async def test_no_token_or_a_bad_one_is_401(client: Client, make_token: MakeToken) -> None:
    cases: list[dict[str, str]] = [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer dgt_short"},
        {"Authorization": f"Bearer {new_token()}"},  # well formed, never issued
        {"Authorization": f"Bearer {new_token()[:-1]}x"},  # checksum off
    ]
    for headers in cases:
        response = await client.get(URL, headers=headers)
        assert response.status == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await response.json())["error"]["code"] == "unauthenticated"
    response = await client.put(
        "/api/v1/appointments", json={"items": [item(1)]}, headers={"Authorization": "x"}
    )
    assert response.status == 401  # before the body is even read


async def test_missing_scope_is_403(client: Client, make_token: MakeToken) -> None:
    reader = await make_token("reader", ("cancellations:read",))
    response = await client.put("/api/v1/appointments", json={"items": []}, headers=reader)
    assert response.status == 403
    body = await response.json()
    assert body["error"]["code"] == "forbidden"
    assert "appointments:write" in body["error"]["message"]
    assert (await client.get(URL, headers=reader)).status == 200


async def test_revoked_token_is_refused_on_the_next_request(
    client: Client, make_token: MakeToken
) -> None:
    auth = await make_token("robot")
    assert (await client.get(URL, headers=auth)).status == 200
    service = TokenService(client.app[STORE].tokens, client.app[CLOCK])
    await service.revoke("robot")
    assert (await client.get(URL, headers=auth)).status == 401


async def test_last_used_is_recorded(client: Client, make_token: MakeToken) -> None:
    auth = await make_token("robot")
    service = TokenService(client.app[STORE].tokens, client.app[CLOCK])
    [before] = await service.all()
    assert before.last_used_at is None
    await client.get(URL, headers=auth)
    [after] = await service.all()
    assert after.last_used_at is not None


async def test_rate_limit_per_token_is_429_with_retry_after(
    aiohttp_client: Any, settings: Settings, redis: Redis
) -> None:
    client = await start(aiohttp_client, api_settings(settings, requests_per_minute=1, burst=3))
    make = token_maker(client)
    first, second = await make("first"), await make("second")
    statuses = [(await client.get(URL, headers=first)).status for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = await client.get(URL, headers=first)
    assert response.status == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert (await response.json())["error"]["code"] == "rate_limited"
    # Another token has its own allowance.
    assert (await client.get(URL, headers=second)).status == 200
