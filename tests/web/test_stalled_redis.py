"""A Redis that stops answering cannot hang a conversation turn in the web process.

The real create_app, its Redis on a Valkey of this test's own that is paused
(``SIGSTOP``) after the conversation started: the webhook still answers (the
message is stored in MongoDB first), and the turn ends with an error within
the locks' deadline, leaving the message to the recovery scan.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.adapters.locks import DEADLINE_SECONDS
from bot.adapters.memory import MemoryQueue
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import CONVERSATIONS, QUEUE, STORE, TEMPLATE_CHECK, TURNS
from tests.builders import patient
from tests.stalled_redis import stallable_redis
from tests.web.conftest import no_template_check, patients_of, started

SLACK = 5.0  # room for a busy machine: far below a hang (the test's own timeout is 60 s)


async def test_a_turn_ends_with_an_error_in_bounded_time_when_redis_stops_answering(
    aiohttp_client: Any,
    twilio_settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with stallable_redis(tmp_path / "valkey") as server:
        settings = twilio_settings.model_copy(update={"redis_url": server.url})
        overrides = {QUEUE: MemoryQueue(), TEMPLATE_CHECK: no_template_check}
        client = await started(aiohttp_client, create_app(settings, overrides=overrides))
        app, fake = client.app, patients_of(client)
        try:
            appointment = patient(1)
            await app[STORE].appointments.upsert(appointment)
            assert await app[CONVERSATIONS].start("c-a1", "confirmation", [appointment])
            server.pause()
            loop = asyncio.get_running_loop()
            start = loop.time()
            posted = await fake.receive(appointment.phone, "sim")
            assert posted.answer == 200  # stored before Redis is asked anything
            turns = tuple(app[TURNS])
            assert turns
            _, pending = await asyncio.wait(turns, timeout=DEADLINE_SECONDS + SLACK)
            assert not pending, "the turn hung on a Redis that does not answer"
            assert loop.time() - start < DEADLINE_SECONDS + SLACK
            failed = [r for r in caplog.records if r.getMessage() == "conversation turn failed"]
            assert [r.exc_info[0] for r in failed if r.exc_info] == [RedisTimeoutError]
            unprocessed = await app[STORE].inbound.unprocessed_for(appointment.phone)
            assert [m.body for m in unprocessed] == ["sim"]  # the recovery scan's to apply
        finally:
            await fake.close()
            server.resume()
            await client.close()
