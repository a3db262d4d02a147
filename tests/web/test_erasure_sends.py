"""What an LGPD erasure does to sending: the opt-out outlives it, nothing waiting goes out.

End to end through the real app, the real outbox service and Twilio adapter, the
strict fake Twilio (:mod:`tests.web.test_delivery_failures`' world), and the real
``digitaly patients erase`` command.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.core.outbox import ERASED, SUPPRESSED
from bot.core.phones import variants
from bot.core.ports import OutboxState
from bot.web.keys import CONVERSATIONS, DB, QUEUE
from tests import builders
from tests.cli_env import use_settings
from tests.web import test_delivery_failures as delivery
from tests.web.test_delivery_failures import T0, World
from tests.web.test_webhooks import _settle

world = delivery.world  # the fixture, found here by its name


async def _erase(world: World, monkeypatch: pytest.MonkeyPatch, phone: str) -> dict[str, int]:
    use_settings(monkeypatch, world.settings)
    runner = CliRunner()
    result = await asyncio.to_thread(
        runner.invoke, main, ["patients", "erase", phone, "--yes"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    erased: dict[str, int] = json.loads(result.stdout)["erased"]
    return erased


def _sent_to(world: World, phone: str) -> int:
    return sum(m.form.get("To") == f"whatsapp:{phone}" for m in world.fake.messages)


async def test_an_opted_out_patient_erased_then_imported_again_is_never_messaged(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    phone = builders.patient(1).phone
    assert await world.send(await world.remind(1)) is OutboxState.SENT
    await world.patient_writes(phone, "SAIR", ago=timedelta(0))
    await _settle(world.client)
    assert await world.store.suppressions.is_suppressed(phone)

    erased = await _erase(world, monkeypatch, phone)

    # Kept as the number's blind index alone: no sealed copy that would give it back.
    kept = await world.client.app[DB]["suppressions"].find().to_list()
    assert erased["suppressions"] == len(kept) == 1
    assert all(doc["_id"].startswith("bi:") and "phone_enc" not in doc for doc in kept)
    assert phone.removeprefix("+")[-8:] not in json.dumps(kept, default=str)
    # The clinic's robot pushes the patient in again: the new reminder is never sent.
    again = builders.patient(
        1, id="a1-again", external_id="LEG-1-again", starts_at=T0 + timedelta(days=5)
    )
    await world.store.appointments.upsert(again)
    assert await world.client.app[CONVERSATIONS].start("c1-again", "confirmation", [again])
    key = world.client.app[QUEUE].sends[-1]
    before = _sent_to(world, phone)

    assert await world.send(key) is OutboxState.FAILED

    assert (await world.entry(key)).failure == SUPPRESSED.reason
    assert _sent_to(world, phone) == before
    assert await world.store.suppressions.is_suppressed(phone)


@pytest.mark.parametrize("in_a_conversation", [True, False], ids=["replying", "unprompted"])
async def test_one_sair_is_one_opt_out_that_covers_both_forms_of_the_number(
    world: World, in_a_conversation: bool
) -> None:
    """One opt-out per number, keyed by its blind index: the readers match it under
    either form (with or without the 9th digit), so a second entry adds nothing."""
    phone = "+5511987654325"  # a real mobile's form: its 8-digit form is a mobile too
    if in_a_conversation:
        appointment = builders.patient(5, phone=phone, starts_at=T0 + timedelta(days=2))
        await world.store.appointments.upsert(appointment)
        assert await world.client.app[CONVERSATIONS].start("c5", "confirmation", [appointment])
        assert await world.send(world.client.app[QUEUE].sends[-1]) is OutboxState.SENT

    await world.patient_writes(phone, "SAIR", ago=timedelta(0))
    await _settle(world.client)

    kept = await world.client.app[DB]["suppressions"].find().to_list()
    assert len(kept) == 1
    assert variants(phone) == (phone, "+551187654325")
    for form in variants(phone):  # how the sender and the console look it up
        assert await world.store.suppressions.is_suppressed(*variants(form))


async def test_the_erasure_cancels_the_patient_s_waiting_messages(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    waiting, other = await world.remind(2), await world.remind(3)

    erased = await _erase(world, monkeypatch, builders.patient(2).phone)

    assert erased["outbox_cancelled"] == 1
    entry = await world.entry(waiting)
    assert (entry.state, entry.failure) == (OutboxState.FAILED, ERASED.reason)
    assert await world.send(waiting) is None  # a task still queued for it claims nothing
    assert world.fake.messages == []
    assert (await world.entry(other)).state is OutboxState.PENDING  # another patient's waits
    assert await world.send(other) is OutboxState.SENT


async def test_the_sender_refuses_an_erased_patient_s_message_a_worker_held(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker had claimed it when the erasure ran (so it was not cancelled), then gave it
    back for later (a rate limit, an open circuit): the next attempt must not send it."""
    key = await world.remind(4)
    assert await world.store.outbox.update(key, OutboxState.PENDING, state=OutboxState.SENDING)

    erased = await _erase(world, monkeypatch, builders.patient(4).phone)

    assert erased["outbox_cancelled"] == 0
    assert await world.store.outbox.update(key, OutboxState.SENDING, state=OutboxState.PENDING)
    assert await world.send(key) is OutboxState.FAILED
    entry = await world.entry(key)
    assert (entry.state, entry.failure) == (OutboxState.FAILED, ERASED.reason)
    assert world.fake.messages == []
