"""``digitaly keys rotate`` while patients answer: no turn lost, everything under the new key."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from redis.asyncio import Redis

from bot.adapters.crypto import FieldCipher
from bot.adapters.mongo import MongoStore, open_store
from bot.adapters.mongo.sealing import INDEXED, SEALED, Sealer, rotate
from bot.cli import main
from bot.core.model import AppointmentStatus, InboundMessage
from bot.settings import Settings
from tests.builders import FakeClock
from tests.cli_env import use_settings
from tests.services.test_reminders import MONDAY_6AM, _appointment, _push, _services

ROOT = Path(__file__).resolve().parents[2]
KEY_A = {"a1": bytes(range(32))}
KEY_B = {"b2": bytes(range(32, 64))}
TURNS = 200


@pytest.mark.timeout(300)
async def test_rotating_while_200_turns_are_processed_loses_none(
    settings: Settings, mongo_store: MongoStore, redis: Redis
) -> None:
    db = mongo_store.db
    clock = FakeClock(MONDAY_6AM)
    # Before: every process on key A; 200 patients got their reminder.
    old = MongoStore(db, Sealer(FieldCipher(KEY_A)))
    before = _services(settings, old, redis, clock)
    appointments = [_appointment(n, MONDAY_6AM + timedelta(hours=49)) for n in range(TURNS)]
    for appointment in appointments:
        await _push(before, old, appointment)
    clock.now = MONDAY_6AM + timedelta(hours=2)  # 08:00 local: the reminders go
    assert await before.reminders.send_due(limit=500) == TURNS

    # The processes rolled with key B first (A still listed); every patient answers "1"
    # while the rotation runs.
    both = Sealer(FieldCipher({**KEY_B, **KEY_A}))
    new = MongoStore(db, both)
    after = _services(settings, new, redis, clock)
    messages = [
        InboundMessage(f"SM{n:032d}", a.phone, "1", clock.now, to="whatsapp:+5511930000001")
        for n, a in enumerate(appointments)
    ]
    for message in messages:
        assert await new.inbound.add(message)
    finished: list[float] = []
    # As many turns at once as a few web processes run (each holds a Redis lock).
    running = asyncio.Semaphore(20)

    async def turn(message: InboundMessage) -> None:
        async with running:
            await after.conversations.process(message)
        finished.append(time.monotonic())

    async def rotation() -> tuple[float, float, dict[str, int]]:
        started = time.monotonic()
        changed = await rotate(db, both)
        return started, time.monotonic(), changed

    (started, ended, changed), *_ = await asyncio.gather(
        rotation(), *(turn(message) for message in messages)
    )
    assert any(started < at < ended for at in finished), "no turn ran during the rotation"
    assert changed["appointments"] > 0

    # Every turn's state survived, read with key B alone (key A removed).
    only_b = MongoStore(db, Sealer(FieldCipher(KEY_B)))
    for appointment in appointments:
        [conversation] = await only_b.conversations.for_appointment(appointment.id)
        assert conversation.state == "confirmed", (appointment.id, conversation.state)
        stored = await only_b.appointments.get(appointment.id)
        assert stored is not None
        assert stored.status is AppointmentStatus.CONFIRMED
        assert stored.phone == appointment.phone
    assert await db["inbound"].count_documents({"processed_at": None}) == 0
    # ... and nothing anywhere is sealed or indexed under key A any more.
    for collection in sorted(set(INDEXED) | set(SEALED)):
        raw = json.dumps(await db[collection].find().to_list(), default=str)
        assert "enc:a1:" not in raw, collection
        assert "bi:a1:" not in raw, collection
    assert await rotate(db, both) == {name: 0 for name in changed}


def test_keys_rotate_shows_progress_and_prints_the_counts(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.mongodb_url
    assert settings.redis_url

    def entry(keys: dict[str, bytes]) -> str:
        return ",".join(f"{k}:{base64.b64encode(v).decode()}" for k, v in keys.items())

    use_settings(monkeypatch, settings, DIGITALY_DATA_KEYS=entry(KEY_A))

    async def seed() -> None:
        async with open_store(settings) as opened:
            old = MongoStore(opened.db, Sealer(FieldCipher(KEY_A)))
            for n in range(30):
                await old.appointments.upsert(_appointment(n, MONDAY_6AM + timedelta(days=2)))

    async def drop() -> None:
        async with open_store(settings, schema=False) as opened:
            await opened.client.drop_database(settings.mongodb_db)

    asyncio.run(seed())
    try:
        monkeypatch.setenv("DIGITALY_DATA_KEYS", entry({**KEY_B, **KEY_A}))
        result = CliRunner().invoke(main, ["keys", "rotate"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["re_encrypted"]["appointments"] == 30
        # One bar per collection (off a terminal click prints only their labels).
        labels = [line.strip() for line in result.stderr.splitlines()]
        assert labels[-4:] == ["appointments", "conversations", "inbound", "outbox"]
    finally:
        asyncio.run(drop())
