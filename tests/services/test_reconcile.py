"""Reconciliation: replies Twilio could not deliver, listed from its Messages list and run.

The fake Twilio's inbox has no webhook here (we are down): what patients send
stays in its list, which the real Twilio adapter reads, as in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.adapters.flow_files import FlowDirectory
from bot.adapters.memory import MemoryLocks, MemoryQueue, MemoryStore
from bot.adapters.twilio import TwilioMessenger
from bot.core.consent import ConsentWords
from bot.core.events import Unit
from bot.core.model import AppointmentStatus, OutboxState
from bot.core.ports import InboundMessage
from bot.services.conversations import ConversationService, UnitInfo
from bot.services.reconcile import InboundReconciler
from bot.settings import Settings
from tests.builders import PHONE, SENDER, FakeClock, appointment
from tests.fakes.twilio import FakeTwilio

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class World:
    store: MemoryStore
    queue: MemoryQueue
    service: ConversationService
    reconciler: InboundReconciler
    fake: FakeTwilio
    clock: FakeClock

    async def sent(self, n: int) -> str:
        """Mark the queue's ``n``-th hand-off sent at Twilio; its provider sid."""
        sid = f"SM{n:032x}"
        key = self.queue.sends[n]
        assert await self.store.outbox.update(
            key, OutboxState.PENDING, state=OutboxState.SENT, provider_sid=sid
        )
        return sid


@pytest.fixture
async def world(settings: Settings, fake_twilio: tuple[FakeTwilio, str]) -> AsyncIterator[World]:
    fake, url = fake_twilio
    store, queue = MemoryStore(), MemoryQueue()
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
    flows = FlowDirectory(ROOT / "flows")
    flows.reload()
    service = ConversationService(
        store=store,
        flows=flows,
        queue=queue,
        locks=MemoryLocks(),
        units={"centro": UnitInfo(Unit("Centro", "Rua A, 1", "America/Sao_Paulo"), SENDER)},
        clock=clock,
        consent=ConsentWords(opt_out_words=frozenset({"sair"}), opt_out_message="Pronto."),
    )
    messenger = TwilioMessenger(
        settings.model_copy(
            update={
                "twilio_account_sid": fake.account_sid,
                "twilio_auth_token": SecretStr(fake.auth_token),
                "twilio_api_base_url": url,
            }
        )
    )
    reconciler = InboundReconciler(store, messenger, service, (SENDER,), clock)
    yield World(store, queue, service, reconciler, fake, clock)
    await messenger.aclose()


async def test_a_recovered_tap_acts_on_the_message_whose_buttons_it_names(world: World) -> None:
    # Two appointments on two days, a reminder each (the newer conversation is c2).
    day = world.clock.now + timedelta(days=1)
    sooner = appointment(id="a1", starts_at=day)
    later = appointment(id="a2", external_id="LEG-2", starts_at=day + timedelta(days=1))
    for booked in (sooner, later):
        await world.store.appointments.upsert(booked)
    await world.service.start("c1", "confirmation", [sooner])
    world.clock.advance(timedelta(minutes=1))
    await world.service.start("c2", "confirmation", [later])
    first_reminder = await world.sent(0)
    await world.sent(1)
    # While we are up, the patient taps "Desmarcar" on the first reminder: c1 asks to confirm.
    world.clock.advance(timedelta(minutes=1))
    tap = InboundMessage(
        sid="SM" + "a" * 32, phone=PHONE, body="Desmarcar", received_at=world.clock.now,
        to=SENDER, button_payload="cancel", replied_to=first_reminder,
    )  # fmt: skip
    assert await world.store.inbound.add(tap)
    await world.service.process(tap)
    question = await world.sent(2)
    # We go down; the patient taps "Sim, desmarcar" on that question. Twilio lists it
    # with its label as the body and neither its payload nor the message it answers.
    world.clock.advance(timedelta(minutes=1))
    missed = await world.fake.inbox.receive(PHONE, button=("cancel_yes", "Sim, desmarcar"))
    assert missed.error_code == 11205
    world.clock.now = missed.date_sent + timedelta(minutes=1)

    assert await world.reconciler.run() == 1

    [stored] = [m for m in world.store.inbound.items.values() if m.sid == missed.sid]
    assert (stored.button_payload, stored.replied_to) == ("cancel_yes", question)
    first = await world.store.appointments.get("a1")
    second = await world.store.appointments.get("a2")
    assert first is not None
    assert first.status is AppointmentStatus.CANCEL_REQUESTED
    assert second is not None
    assert second.status is AppointmentStatus.SCHEDULED
    untouched = await world.store.conversations.get("c2")
    assert untouched is not None
    assert untouched.state == "awaiting_reply"
