"""Fixtures for the robot's API: the real app (create_app), tokens made by the real service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from bot.adapters.memory import MemoryQueue
from bot.services.tokens import TokenService
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import CLOCK, QUEUE, STORE
from tests.web.conftest import started

Client = TestClient[Any, Any]
MakeToken = Callable[..., Awaitable[dict[str, str]]]
ALL_SCOPES = (
    "appointments:write",
    "cancellations:read",
    "reports:read",
    "slots:write",
    "reschedules:read",
)


def api_settings(settings: Settings, **api: Any) -> Settings:
    return settings.model_copy(update={"api": settings.api.model_copy(update=api)})


async def start(aiohttp_client: Any, settings: Settings) -> Client:
    return await started(aiohttp_client, create_app(settings, overrides={QUEUE: MemoryQueue()}))


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings, redis: Redis) -> Client:
    return await start(aiohttp_client, settings)


def token_maker(client: Client) -> MakeToken:
    async def make(name: str = "robot", scopes: tuple[str, ...] = ALL_SCOPES) -> dict[str, str]:
        """Create a token; return the headers that carry it."""
        app = client.app
        _, secret = await TokenService(app[STORE].tokens, app[CLOCK]).create(name, scopes)
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def make_token(client: Client) -> MakeToken:
    return token_maker(client)


@pytest.fixture
async def auth(make_token: MakeToken) -> dict[str, str]:
    return await make_token()


SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def in_days(days: float, hour: int = 14) -> str:
    """A start time ``days`` ahead at ``hour`` São Paulo time, as the robot sends it."""
    moment = (datetime.now(UTC) + timedelta(days=days)).astimezone(SAO_PAULO)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


def item(n: int, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "external_id": f"LEG-{n}",
        "patient_name": f"Paciente {n} da Silva",
        "phone": f"+55 11 98{n % 1000:03d}-{n % 10000:04d}",
        "starts_at": in_days(3),
        "doctor": "Dra. Cláudia Guimarães",
        "specialty": "Cardiologia",
        "unit": "centro",
    }
    base.update(changes)
    return base
