"""Finding 1 of issue 17: staff login brute force, and the event loop under a login storm.

Through the real ``create_app`` on real MongoDB-wire and Redis-wire servers.
Counts, and a latency *ratio* against an idle ``/healthz`` on the same
machine at the same moment (never an absolute time).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.adapters.memory import MemoryQueue
from bot.settings import Settings, StaffLogin
from bot.web import create_app
from bot.web.keys import DB, QUEUE, STAFF, TEMPLATE_CHECK
from bot.web.pages.auth import COOKIE
from tests.web.conftest import Client, no_template_check, started
from tests.web.console import EMAIL, PASSWORD, form_token, login_token

NOW = datetime.now(UTC)


async def _client(aiohttp_client: Any, settings: Settings, **rules: Any) -> Client:
    tuned = settings.model_copy(update={"staff_login": StaffLogin(**rules)}) if rules else settings
    overrides = {QUEUE: MemoryQueue(), TEMPLATE_CHECK: no_template_check}
    client = await started(aiohttp_client, create_app(tuned, overrides=overrides))
    await client.app[STAFF].create("Ana", EMAIL, PASSWORD, NOW)
    return client


async def _try(client: Client, password: str, email: str = EMAIL) -> tuple[int, str]:
    form = {"email": email, "password": password, "csrf": await login_token(client)}
    response = await client.post("/console/login", data=form, allow_redirects=False)
    return response.status, await response.text()


async def _audit(client: Client, action: str) -> int:
    return int(await client.app[DB]["audit_log"].count_documents({"action": action}))


@pytest.mark.timeout(180)  # argon2 is slow on purpose; this box is shared
async def test_200_wrong_passwords_are_slowed_then_locked_and_the_right_one_waits(
    aiohttp_client: Any, twilio_settings: Settings, redis: Redis
) -> None:
    client = await _client(aiohttp_client, twilio_settings)  # the shipped rules: 5 free, lock at 10
    statuses = Counter[int]()
    token = await login_token(client)
    for n in range(200):
        # Each answer carries the next form token, as a browser resubmitting the page would use.
        form = {"email": EMAIL, "password": f"chute-{n}", "csrf": token}
        response = await client.post("/console/login", data=form)
        statuses[response.status] += 1
        token = form_token(await response.text())
    checked, refused = statuses[401], statuses[429]
    assert checked + refused == 200
    assert checked <= 10  # at most lock_at passwords were ever checked
    assert refused >= 190
    # Throttled: even the right password is not checked now, and no session is given.
    status, page = await _try(client, PASSWORD)
    assert status == 429
    assert "Muitas tentativas seguidas. Aguarde" in page
    assert COOKIE not in {c.key for c in client.session.cookie_jar}
    # Every check and every refusal is in the audit log.
    assert await _audit(client, "login_failed") == checked
    assert await _audit(client, "login_throttled") == refused + 1
    print(f"\nbrute force: 200 attempts -> {checked} checked, {refused} refused (429)")


async def test_a_successful_login_resets_the_account(
    aiohttp_client: Any, twilio_settings: Settings, redis: Redis
) -> None:
    client = await _client(aiohttp_client, twilio_settings, free_failures=2, lock_at=3)
    assert [(await _try(client, "x"))[0] for _ in range(2)] == [401, 401]
    assert (await _try(client, PASSWORD))[0] == 302
    # Without the reset, the third failure would lock the account.
    assert [(await _try(client, "x"))[0] for _ in range(2)] == [401, 401]
    status, page = await _try(client, "x")
    assert status == 401
    assert "Acesso bloqueado temporariamente" in page  # the third in a row locks it


async def test_one_client_trying_many_accounts_is_throttled_too(
    aiohttp_client: Any, twilio_settings: Settings, redis: Redis
) -> None:
    client = await _client(
        aiohttp_client, twilio_settings, client_free_failures=3, client_lock_at=5
    )
    statuses = [(await _try(client, "x", f"user{n}@clinica.example"))[0] for n in range(10)]
    assert statuses[:3] == [401, 401, 401]
    assert statuses.count(429) >= 5


async def _latency(client: Client) -> float:
    started_at = time.perf_counter()
    assert (await client.get("/healthz")).status == 200
    return time.perf_counter() - started_at


@pytest.mark.timeout(180)  # 64 argon2 checks, slow on purpose, on a shared box
async def test_a_login_storm_does_not_stall_the_event_loop(
    aiohttp_client: Any, twilio_settings: Settings, redis: Redis
) -> None:
    # Rules loose enough that every one of the 64 passwords is really checked.
    client = await _client(
        aiohttp_client,
        twilio_settings,
        free_failures=1000,
        lock_at=2000,
        client_free_failures=1000,
        client_lock_at=2000,
    )
    idle = [await _latency(client) for _ in range(30)]
    token = await login_token(client)

    async def wrong(n: int) -> int:
        form = {"email": EMAIL, "password": f"chute-{n}", "csrf": token}
        return (await client.post("/console/login", data=form)).status

    storm = asyncio.gather(*(wrong(n) for n in range(64)))
    busy: list[float] = []
    while not storm.done():
        busy.append(await _latency(client))
    statuses = await storm
    assert statuses == [401] * 64
    assert await _audit(client, "login_failed") == 64  # all 64 were argon2-checked
    ratio = statistics.median(busy) / statistics.median(idle)
    print(
        f"\nlogin storm: {len(busy)} /healthz during 64 failed logins, median "
        f"{statistics.median(busy) * 1000:.1f} ms vs idle {statistics.median(idle) * 1000:.1f} ms"
        f" (ratio {ratio:.1f}), max {max(busy) * 1000:.0f} ms"
    )
    assert len(busy) >= 5  # the loop kept answering while the hashes ran
    assert ratio < 20  # argon2 on the loop gave hundreds (0.5 s median against ~2 ms)
