"""Failures Twilio reports late, end to end: our send, the strict fake's signed callbacks, our webhook.

Each reminder is sent by the real outbox service through the real Twilio adapter
to the fake Twilio, which answers ``201 queued`` and later POSTs the status
callbacks, signed on the public URL, through a "reverse proxy" route to the
real app; what the app does with them is read back from the store.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.adapters.memory import MemoryQueue
from bot.adapters.twilio import TwilioMessenger
from bot.core.model import AppointmentStatus
from bot.core.ports import InboundMessage, OutboxEntry, OutboxState, Store
from bot.services.outbox import send_entry
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import (
    CLOCK,
    CONVERSATIONS,
    QUEUE,
    REMINDERS,
    STORE,
    TEMPLATE_CHECK,
    TEMPLATE_PROBLEMS,
)
from tests import builders
from tests.builders import FakeClock
from tests.fakes.sending import MemoryBreaker, MemoryLimiter
from tests.fakes.twilio import FakeTwilio
from tests.twilio_signing import PUBLIC, TOKEN, with_twilio
from tests.web.conftest import Client, no_template_check, started

T0 = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # a Monday, 08:00 in São Paulo
SENDER = "whatsapp:+5511930000001"


@dataclass
class World:
    client: Client
    fake: FakeTwilio
    settings: Settings
    messenger: TwilioMessenger
    clock: FakeClock

    @property
    def store(self) -> Store:
        store: Store = self.client.app[STORE]
        return store

    async def remind(self, n: int) -> str:
        """Start patient ``n``'s confirmation conversation; its reminder's outbox key."""
        appointment = builders.patient(n, starts_at=T0 + timedelta(days=2))
        await self.store.appointments.upsert(appointment)
        started = await self.client.app[CONVERSATIONS].start(f"c{n}", "confirmation", [appointment])
        assert started is not None
        queue: MemoryQueue = self.client.app[QUEUE]
        return queue.sends[-1]

    async def send(self, key: str) -> OutboxState | None:
        """One attempt by the outbox service; then every callback it causes is posted."""
        state = await send_entry(
            key,
            store=self.store,
            messenger=self.messenger,
            limiter=MemoryLimiter(),
            breaker=MemoryBreaker(),
            settings=self.settings,
            clock=self.clock,
        )
        await self.fake.settle()
        return state

    async def patient_writes(self, phone: str, text: str, ago: timedelta) -> None:
        """The patient wrote ``ago`` before now: Twilio received it and posted our webhook then."""
        now = self.clock.now
        self.clock.now = now - ago
        try:
            callback = await self.fake.receive(phone, text, at=self.clock.now)
            assert callback.answer == 200
        finally:
            self.clock.now = now

    async def entry(self, key: str) -> OutboxEntry:
        entry = await self.store.outbox.get(key)
        assert entry is not None
        return entry


@pytest.fixture
async def world(
    aiohttp_client: Any,
    settings: Settings,
    redis: Redis,
    fake_twilio: tuple[FakeTwilio, str],
) -> AsyncIterator[World]:
    fake, url = fake_twilio
    fake.auth_token = TOKEN
    twilio = with_twilio(settings, url)
    clock = FakeClock(T0)
    app = create_app(
        twilio, overrides={QUEUE: MemoryQueue(), CLOCK: clock, TEMPLATE_CHECK: no_template_check}
    )
    client = await started(aiohttp_client, app)
    fake.route(PUBLIC, str(client.make_url("")))
    fake.now = clock
    messenger = TwilioMessenger(twilio)
    yield World(client, fake, twilio, messenger, clock)
    await fake.settle()
    await messenger.aclose()


async def test_a_delivered_reminder_ends_read_with_every_callback_signed(world: World) -> None:
    world.fake.disorder = 1.0  # shuffled and one repeated: still ends on the furthest
    key = await world.remind(1)
    assert await world.send(key) is OutboxState.SENT
    entry = await world.entry(key)
    assert (entry.state, entry.delivery_status) == (OutboxState.SENT, "read")
    assert sorted(set(world.fake.statuses(entry.provider_sid or ""))) == [
        "delivered", "read", "sent"
    ]  # fmt: skip
    assert {c.answer for c in world.fake.callbacks} == {204}  # our webhook accepted each one


async def test_async_63024_fails_the_reminder_and_puts_the_patient_on_the_call_list(
    world: World,
) -> None:
    world.fake.fail_async(63024)
    key = await world.remind(2)
    assert await world.send(key) is OutboxState.SENT  # Twilio answered 201 queued
    entry = await world.entry(key)
    assert (entry.state, entry.error_code) == (OutboxState.FAILED, 63024)
    appointment = await world.store.appointments.get("a2")
    assert appointment is not None
    assert appointment.status is AppointmentStatus.DELIVERY_FAILED


async def test_async_63049_is_permanent_too(world: World) -> None:
    world.fake.fail_async(63049, status="undelivered")
    key = await world.remind(3)
    await world.send(key)
    entry = await world.entry(key)
    assert (entry.state, entry.error_code) == (OutboxState.FAILED, 63049)
    assert await world.store.dead_letters.get(key) is None


async def test_async_opt_out_code_suppresses_the_number(world: World) -> None:
    world.fake.fail_async(63014)  # the patient blocked the clinic
    key = await world.remind(4)
    await world.send(key)
    entry = await world.entry(key)
    assert (entry.state, entry.error_code) == (OutboxState.FAILED, 63014)
    assert await world.store.suppressions.is_suppressed("+5511900000004")


async def test_async_free_text_outside_the_window_is_63016(world: World) -> None:
    """Our window check saw a message Twilio did not (a clock apart): 63016 is permanent."""
    key = await world.remind(5)
    await world.store.outbox.update(key, OutboxState.PENDING, content_sid=None, variables={})
    await world.store.inbound.add(
        InboundMessage(sid="SM-local", phone="+5511900000005", body="oi", received_at=T0)
    )
    await world.send(key)
    entry = await world.entry(key)
    assert (entry.state, entry.error_code) == (OutboxState.FAILED, 63016)
    assert len(world.fake.messages) == 1


async def test_async_retryable_code_is_sent_again_after_backoff(world: World) -> None:
    world.fake.fail_async(30003, times=1)  # handset off: the next attempt arrives
    key = await world.remind(6)
    await world.send(key)
    entry = await world.entry(key)
    assert (entry.state, entry.attempts, entry.error_code) == (OutboxState.PENDING, 1, 30003)
    assert entry.next_attempt_at is not None
    assert await world.send(key) is None  # not due before its backoff
    world.clock.now = entry.next_attempt_at
    assert await world.send(key) is OutboxState.SENT
    entry = await world.entry(key)
    assert (entry.attempts, entry.delivery_status) == (2, "read")
    assert len(world.fake.messages) == 2


async def test_async_alert_code_is_a_dead_letter(world: World) -> None:
    world.fake.fail_async(63041)  # a paused template: a person must act
    key = await world.remind(7)
    await world.send(key)
    entry = await world.entry(key)
    assert entry.state is OutboxState.DEAD
    letter = await world.store.dead_letters.get(key)
    assert letter is not None
    assert letter.error_code == 63041


async def test_async_63018_pauses_every_reminder_of_the_sender_until_the_window(
    world: World,
) -> None:
    keys = [await world.remind(n) for n in range(10, 14)]
    world.fake.fail_async(63018, times=1)
    await world.send(keys[0])
    first = await world.entry(keys[0])
    pause = world.settings.sending.throttle_pause
    # Given back, its attempt unspent, due when the sender's window reopens.
    assert (first.state, first.attempts) == (OutboxState.PENDING, 0)
    assert first.next_attempt_at == T0 + pause
    paused = await world.store.sender_pauses.active(T0)
    assert [(p.sender, p.until, p.error_code) for p in paused] == [(SENDER, T0 + pause, 63018)]
    # Every other reminder of that sender waits too, without reaching Twilio.
    for key in keys[1:]:
        assert await world.send(key) is OutboxState.PENDING
        held = await world.entry(key)
        assert (held.attempts, held.next_attempt_at) == (0, T0 + pause)
    assert len(world.fake.messages) == 1
    # The readiness detail shows it; the process stays ready.
    body = await (await world.client.get("/readyz")).json()
    assert body["paused_senders"] == [
        {"sender": SENDER, "until": (T0 + pause).isoformat(), "error_code": 63018}
    ]
    world.clock.now = T0 + pause
    for key in keys:
        assert await world.send(key) is OutboxState.SENT
    assert len(world.fake.messages) == 5
    assert await world.store.sender_pauses.active(world.clock.now) == []


async def test_the_clinic_cancel_notice_goes_as_its_template_outside_the_window(
    world: World,
) -> None:
    """The patient last wrote two days ago: free text would fail (63016); the template arrives."""
    phone = "+5511900000020"
    await world.patient_writes(phone, "oi", timedelta(days=2))
    before = builders.appointment(
        id="a20", external_id="LEG-20", phone=phone, starts_at=T0 + timedelta(days=3)
    )
    await world.store.appointments.upsert(before)
    after = replace(before, status=AppointmentStatus.CANCELLED)
    await world.store.appointments.upsert(after)
    await world.client.app[REMINDERS].appointment_changed(before, after)
    key = world.client.app[QUEUE].sends[-1]
    assert key.startswith("clinic_cancel:a20:")
    assert await world.send(key) is OutboxState.SENT
    entry = await world.entry(key)
    assert (entry.state, entry.delivery_status) == (OutboxState.SENT, "read")
    form = world.fake.messages[-1].form
    assert form["ContentSid"] == "HX00000000000000000000000000000005"
    assert "Body" not in form
    assert json.loads(form["ContentVariables"])["1"] == "Conceição"


async def test_free_text_outside_the_window_is_dead_lettered_before_twilio(
    world: World,
) -> None:
    key = await world.remind(21)
    await world.store.outbox.update(key, OutboxState.PENDING, content_sid=None, variables={})
    # An inbound message from the patient 25 hours ago: the window has closed.
    await world.patient_writes("+5511900000021", "oi", timedelta(hours=25))
    assert await world.send(key) is OutboxState.DEAD
    letter = await world.store.dead_letters.get(key)
    assert letter is not None
    assert "outside the 24-hour window" in letter.reason
    assert world.fake.messages == []


async def test_free_text_inside_the_window_is_sent(world: World) -> None:
    key = await world.remind(22)
    await world.store.outbox.update(key, OutboxState.PENDING, content_sid=None, variables={})
    await world.patient_writes("+5511900000022", "oi", timedelta(hours=23))
    assert await world.send(key) is OutboxState.SENT
    entry = await world.entry(key)
    assert entry.delivery_status == "read"
    assert world.fake.messages[0].form["Body"].startswith("Olá, Maria")


def _line_of(needle: str) -> int:
    """The line of the shipped confirmation flow holding ``needle`` (edits move it)."""
    flow = (Path(__file__).resolve().parents[2] / "flows/confirmation.yaml").read_text("utf-8")
    return next(n for n, line in enumerate(flow.splitlines(), 1) if needle in line)


@pytest.mark.template_check_child
@pytest.mark.timeout(180)  # the check's child process: an interpreter's start, under load
@pytest.mark.parametrize("paused", [False, True])
async def test_start_up_template_check_is_a_readyz_detail(
    aiohttp_client: Any,
    settings: Settings,
    redis: Redis,
    fake_twilio: tuple[FakeTwilio, str],
    paused: bool,
) -> None:
    """A template WhatsApp paused shows in /readyz with its flow line; the process stays ready."""
    fake, url = fake_twilio
    reminder = "HX00000000000000000000000000000001"
    if paused:
        fake.templates[reminder] = replace(fake.templates[reminder], status="paused")
    twilio = with_twilio(settings, url, fake.auth_token)
    app = create_app(twilio, overrides={QUEUE: MemoryQueue()})
    client = await started(aiohttp_client, app)
    approvals = {f"/v1/Content/{sid}/ApprovalRequests" for sid in fake.templates}
    for _ in range(2400):  # the check runs in the background after start, in a child
        if approvals <= set(fake.content_reads) and (app[TEMPLATE_PROBLEMS] or not paused):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)
    response = await client.get("/readyz")
    body = await response.json()
    assert response.status == 200
    if not paused:
        assert "template_problems" not in body
        return
    assert body["template_problems"] == [
        f'flows/confirmation.yaml:{_line_of(f"content_sid: {reminder}")}: mensagem "reminder": modelo {reminder} '
        "não está aprovado para WhatsApp (situação: paused)"
    ]
