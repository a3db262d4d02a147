"""The demo seed: two units, tomorrow's appointments, idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.adapters.memory import MemoryStore
from bot.services.demo import seed_demo
from bot.settings import Settings

NOW = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # 20:30 in São Paulo: "tomorrow" is the 30th


async def test_seed_is_idempotent_and_lands_tomorrow_in_two_units(
    memory_settings: Settings,
) -> None:
    settings, store = memory_settings, MemoryStore()
    assert await seed_demo(store, settings, lambda: NOW) == 5
    assert await seed_demo(store, settings, lambda: NOW) == 0
    found = list(store.appointments.items.values())
    assert {a.unit for a in found} == {"centro", "paulista"}
    local_days = {a.starts_at.astimezone(ZoneInfo("America/Sao_Paulo")).date() for a in found}
    assert local_days == {(NOW - timedelta(hours=3)).date() + timedelta(days=1)}
    assert all(a.external_id.startswith("DEMO-") for a in found)
