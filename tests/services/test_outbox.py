"""The outbox sender over the in-memory store: every outcome, the sweeper, reconciliation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from bot.adapters.memory import MemoryStore
from bot.core.model import Appointment, AppointmentStatus, Conversation
from bot.core.ports import (
    OutboxEntry,
    OutboxState,
    ProviderMessage,
    RateSlot,
    SendOutcome,
    SendResult,
)
from bot.services.outbox import (
    OPT_OUT_KIND,
    backoff,
    list_dead_letters,
    requeue_dead_letter,
    send_entry,
)
from bot.services.sweeper import reconcile_entry, sweep
from bot.settings import Settings
from tests.builders import NOW, PHONE, SENDER, outbox_entry
from tests.fakes.sending import MemoryBreaker, MemoryLimiter, ScriptedMessenger

T0 = NOW


@dataclass
class Queue:
    keys: list[str] = field(default_factory=list)
    unfinished_since: datetime | None = None  # what the workers have not finished yet
    unreadable: bool = False

    async def enqueue_send(self, key: str) -> None:
        self.keys.append(key)

    async def oldest_unfinished(self) -> datetime | None:
        if self.unreadable:
            raise ConnectionError("redis is down")
        return self.unfinished_since


@dataclass
class World:
    settings: Settings
    store: MemoryStore = field(default_factory=MemoryStore)
    messenger: ScriptedMessenger = field(default_factory=ScriptedMessenger)
    limiter: MemoryLimiter = field(default_factory=MemoryLimiter)
    breaker: MemoryBreaker = field(default_factory=MemoryBreaker)
    queue: Queue = field(default_factory=Queue)
    now: datetime = T0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> datetime:
        self.messenger.now = self.now
        return self.now

    def later(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.later(seconds)

    async def send(self, key: str = "c1:reminder") -> OutboxState | None:
        self.clock()
        return await send_entry(
            key,
            store=self.store,
            messenger=self.messenger,
            limiter=self.limiter,
            breaker=self.breaker,
            settings=self.settings,
            clock=self.clock,
            sleep=self.sleep,
        )

    async def sweep(self) -> None:
        self.clock()
        await sweep(
            store=self.store,
            queue=self.queue,
            messenger=self.messenger,
            breaker=self.breaker,
            settings=self.settings,
            clock=self.clock,
        )

    async def entry(self, key: str = "c1:reminder") -> OutboxEntry:
        entry = await self.store.outbox.get(key)
        assert entry is not None
        return entry


@pytest.fixture
async def world(memory_settings: Settings) -> World:
    settings = memory_settings
    sending = settings.sending.model_copy(
        update={
            "max_attempts": 3,
            "request_timeout": timedelta(seconds=10),
            "unknown_grace": timedelta(seconds=60),
        }
    )
    w = World(settings.model_copy(update={"sending": sending}))
    await w.store.outbox.add(_entry())
    await w.store.conversations.create(
        Conversation(
            id="c1",
            phone=PHONE,
            flow="confirmation",
            flow_version="v1",
            state="waiting",
            appointment_ids=("a1", "a2"),
            created_at=T0,
            updated_at=T0,
        )
    )
    for appointment_id, status in (
        ("a1", AppointmentStatus.SCHEDULED),
        ("a2", AppointmentStatus.CONFIRMED),
    ):
        await w.store.appointments.upsert(
            Appointment(
                id=appointment_id,
                external_id=appointment_id.upper(),
                patient_name="Conceição",
                phone=PHONE,
                starts_at=T0 + timedelta(days=1),
                doctor="Dra. Cláudia",
                unit="centro",
                status=status,
            )
        )
    return w


def _entry(key: str = "c1:reminder", **changes: object) -> OutboxEntry:
    return outbox_entry(key, **{"text": "Olá, Conceição", "buttons": (), **changes})


def _rejected(code: int | None, status: int | None = 400, retry_after: float | None = None):  # type: ignore[no-untyped-def]
    return SendResult(
        SendOutcome.REJECTED, error_code=code, http_status=status, retry_after=retry_after
    )


async def _status(world: World, appointment_id: str) -> AppointmentStatus:
    appointment = await world.store.appointments.get(appointment_id)
    assert appointment is not None
    return appointment.status


def _sends(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "digitaly_outbound_sends_total", {"status": outcome, "error_code": ""}
    )
    return value or 0.0


async def test_accepted_is_sent_once(world: World) -> None:
    before = _sends("accepted")
    assert await world.send() is OutboxState.SENT
    assert _sends("accepted") == before + 1  # the operators' counter moved once
    entry = await world.entry()
    assert (entry.state, entry.attempts, entry.provider_sid) == (OutboxState.SENT, 1, "SM1")
    assert entry.claimed_at == T0
    assert world.limiter.finished_tickets == ["c1:reminder#1"]  # counted until its answer
    assert await world.send() is None  # a duplicate task does nothing
    assert len(world.messenger.sent) == 1
    assert world.breaker.results == [True]
    sent = world.messenger.sent[0]
    assert (sent.to, sent.sender, sent.content_sid) == (PHONE, SENDER, "HX1")


async def test_validity_keeps_a_reminder_from_arriving_after_the_appointment(world: World) -> None:
    await world.store.outbox.add(_entry("late", expires_at=T0 + timedelta(hours=2)))
    await world.send("late")
    assert world.messenger.sent[0].valid_for_seconds == 7200
    await world.store.outbox.add(_entry("expired", expires_at=T0))
    assert await world.send("expired") is OutboxState.FAILED
    entry = await world.entry("expired")
    assert entry.failure is not None
    assert "expired" in entry.failure
    assert len(world.messenger.sent) == 1


async def test_a_suppressed_number_gets_nothing(world: World) -> None:
    await world.store.suppressions.add("+551187654321", "opted out", T0)  # the 8-digit variant
    assert await world.send() is OutboxState.FAILED
    entry = await world.entry()
    assert (entry.failure or "").startswith("suppressed")
    assert world.messenger.sent == []
    assert await _status(world, "a1") is AppointmentStatus.SCHEDULED


async def test_the_opt_out_confirmation_still_reaches_a_suppressed_number(world: World) -> None:
    await world.store.suppressions.add(PHONE, "opted out", T0)
    await world.store.outbox.add(_entry("c1:opted_out", kind=OPT_OUT_KIND, text="Pronto"))
    assert await world.send("c1:opted_out") is OutboxState.SENT
    assert [m.text for m in world.messenger.sent] == ["Pronto"]
    assert await world.send() is OutboxState.FAILED  # anything else stays blocked


async def test_open_circuit_and_rate_limit_postpone_without_spending_attempts(
    world: World,
) -> None:
    world.breaker.opened_for = 30
    assert await world.send() is OutboxState.PENDING
    entry = await world.entry()
    assert (entry.attempts, entry.next_attempt_at) == (0, T0 + timedelta(seconds=30))
    assert await world.send() is None  # not due yet

    world.breaker.opened_for = 0
    world.later(30)
    world.limiter.next_slot = RateSlot(False, 5.0)
    assert await world.send() is OutboxState.PENDING
    entry = await world.entry()
    assert (entry.state, entry.attempts) == (OutboxState.PENDING, 0)
    assert entry.next_attempt_at is not None
    # The slot's time, spread over the next rate window (no thundering herd).
    assert 5 <= (entry.next_attempt_at - world.now).total_seconds() <= 7

    world.now = entry.next_attempt_at
    world.limiter.next_slot = RateSlot(True, 0.25)
    assert await world.send() is OutboxState.SENT
    assert world.slept == [0.25]
    assert world.messenger.sent
    assert (await world.entry()).attempts == 1


async def test_a_full_last_second_holds_the_send_then_gives_it_back(world: World) -> None:
    world.limiter.admit_waits = [0.3, 0.2]  # late sleepers filled the window: wait, then go
    assert await world.send() is OutboxState.SENT
    assert world.slept == [0.3, 0.2]

    await world.store.outbox.add(_entry("second"))
    world.limiter.admit_waits = [1.5, 0.6, 0.4]  # still full after the longest rate wait
    assert await world.send("second") is OutboxState.PENDING
    entry = await world.entry("second")
    assert (entry.state, entry.attempts) == (OutboxState.PENDING, 0)  # its attempt unspent
    assert entry.next_attempt_at == world.now + timedelta(seconds=0.4)
    assert len(world.messenger.sent) == 1


async def test_retry_after_is_a_minimum_then_budget_exhausted_is_dead(world: World) -> None:
    world.messenger.plan(_rejected(20429, 429, retry_after=7))
    assert await world.send() is OutboxState.PENDING
    entry = await world.entry()
    assert entry.error_code == 20429
    assert entry.next_attempt_at is not None
    assert entry.next_attempt_at >= T0 + timedelta(seconds=7)
    assert world.breaker.results == [False]

    world.now = entry.next_attempt_at
    world.messenger.plan(_rejected(None, 503))  # REJECTED without a code: a connection failure
    assert await world.send() is OutboxState.PENDING
    world.now = (await world.entry()).next_attempt_at or world.now
    world.messenger.plan(_rejected(None, None))
    assert await world.send() is OutboxState.DEAD
    entry = await world.entry()
    assert entry.attempts == 3
    [letter] = await list_dead_letters(world.store)
    assert (letter.key, letter.attempts, letter.kind) == ("c1:reminder", 3, "reminder")
    assert "gave up after 3 attempts" in letter.reason
    assert await _status(world, "a1") is AppointmentStatus.DELIVERY_FAILED
    assert await _status(world, "a2") is AppointmentStatus.CONFIRMED  # an answer is kept


@pytest.mark.parametrize(
    ("code", "state", "suppressed", "dead"),
    [
        (63016, OutboxState.FAILED, False, False),  # permanent
        (63014, OutboxState.FAILED, True, False),  # opt-out
        (63021, OutboxState.DEAD, False, True),  # alert
        (99999, OutboxState.DEAD, False, True),  # unknown code: default action (alert)
    ],
)
async def test_rejections_follow_the_error_table(
    world: World, code: int, state: OutboxState, suppressed: bool, dead: bool
) -> None:
    world.messenger.plan(_rejected(code))
    assert await world.send() is state
    entry = await world.entry()
    assert (entry.error_code, entry.attempts) == (code, 1)
    assert await world.store.suppressions.is_suppressed(PHONE) is suppressed
    assert bool(await list_dead_letters(world.store)) is dead
    assert await _status(world, "a1") is AppointmentStatus.DELIVERY_FAILED
    assert world.breaker.results == [True]  # Twilio answered: not a provider failure


async def test_a_reply_failing_leaves_the_appointment_alone(world: World) -> None:
    await world.store.outbox.add(_entry("c1:reply", kind="reply"))
    world.messenger.plan(_rejected(63016))
    assert await world.send("c1:reply") is OutboxState.FAILED
    assert await _status(world, "a1") is AppointmentStatus.SCHEDULED


async def test_unknown_found_at_the_provider_is_sent(world: World) -> None:
    world.messenger.plan(SendResult(SendOutcome.UNKNOWN), create=True)
    assert await world.send() is OutboxState.UNKNOWN
    entry = await world.entry()
    assert entry.unknown_since == T0
    world.later(1)
    await world.sweep()
    entry = await world.entry()
    assert (entry.state, entry.provider_sid) == (OutboxState.SENT, "SM1")
    assert len(world.messenger.sent) == 1


async def test_unknown_not_found_is_resent_only_after_the_grace(world: World) -> None:
    world.messenger.raise_next = ConnectionResetError()
    assert await world.send() is OutboxState.UNKNOWN
    world.later(59)
    await world.sweep()
    assert (await world.entry()).state is OutboxState.UNKNOWN
    assert world.queue.keys == []
    world.later(1)
    await world.sweep()
    assert (await world.entry()).state is OutboxState.PENDING
    assert world.queue.keys == ["c1:reminder"]  # handed on in the same sweep
    assert await world.send() is OutboxState.SENT
    assert (await world.entry()).attempts == 2


async def test_reconcile_skips_other_entries_messages_and_other_text(world: World) -> None:
    await world.store.outbox.add(_entry("other", state=OutboxState.SENT, provider_sid="SMx"))
    reply = _entry(
        "c1:reply",
        kind="reply",
        content_sid=None,
        text="Confirmado!",
        state=OutboxState.UNKNOWN,
        claimed_at=T0,
        unknown_since=T0,
    )
    await world.store.outbox.add(reply)
    world.messenger.created += [
        ProviderMessage("SMx", PHONE, SENDER, T0, "Confirmado!"),  # another entry's
        ProviderMessage("SMy", PHONE, SENDER, T0, "Outra coisa"),  # different text
        ProviderMessage("SMz", PHONE, SENDER, T0 - timedelta(hours=1), "Confirmado!"),  # too old
    ]
    kwargs = {"store": world.store, "messenger": world.messenger, "settings": world.settings}
    assert await reconcile_entry(reply, clock=world.clock, **kwargs) is None  # type: ignore[arg-type]
    world.messenger.created.append(ProviderMessage("SMok", PHONE, SENDER, T0, "Confirmado!"))
    assert await reconcile_entry(reply, clock=world.clock, **kwargs) is OutboxState.SENT  # type: ignore[arg-type]
    assert (await world.entry("c1:reply")).provider_sid == "SMok"


async def test_unknown_with_no_budget_left_is_dead(world: World) -> None:
    await world.store.outbox.update(world_key := "c1:reminder", OutboxState.PENDING, attempts=2)
    world.messenger.plan(SendResult(SendOutcome.UNKNOWN))
    assert await world.send(world_key) is OutboxState.UNKNOWN
    world.later(60)
    await world.sweep()
    assert (await world.entry()).state is OutboxState.DEAD
    [letter] = await list_dead_letters(world.store)
    assert "not found at the provider after 3 attempts" in letter.reason


async def test_sweeper_expires_leases_and_hands_out_due_entries_once(world: World) -> None:
    await world.store.outbox.add(_entry("stuck", state=OutboxState.SENDING, claimed_at=T0))
    await world.store.outbox.add(
        _entry("later", next_attempt_at=T0 + timedelta(seconds=5), kicked_at=T0)
    )
    await world.sweep()
    assert world.queue.keys == []  # just created (its creator handed it on); leases still fresh
    world.later(4)
    await world.sweep()
    assert world.queue.keys == []  # the queue is empty, but 4 s is a fresh hand-off
    world.later(1)
    await world.sweep()
    # "later" is due since its last hand-out; c1:reminder's task is not in the queue after 5 s.
    assert sorted(world.queue.keys) == ["c1:reminder", "later"]
    world.later(4)
    await world.sweep()
    assert sorted(world.queue.keys) == ["c1:reminder", "later"]  # not again so soon
    world.later(17)
    await world.sweep()  # 22 s = the lease (2 × request_timeout + the longest rate wait)
    assert (await world.entry("stuck")).state is OutboxState.UNKNOWN
    assert sorted(world.queue.keys) == sorted(["later", "c1:reminder"] * 2)


async def test_a_long_queue_is_not_a_lost_hand_off(world: World) -> None:
    world.queue.unfinished_since = T0 - timedelta(minutes=3)  # a backlog from before c1:reminder
    for _ in range(10):
        world.later(60)
        await world.sweep()
    assert world.queue.keys == []
    world.queue.unfinished_since = T0 + timedelta(seconds=6)  # the queue is past it: lost
    await world.sweep()
    assert world.queue.keys == ["c1:reminder"]
    world.queue.unfinished_since = world.now  # this hand-off's own task waits now
    world.later(3600)
    await world.sweep()
    assert world.queue.keys == ["c1:reminder"]


async def test_without_word_from_the_queue_hand_offs_are_redone_after_a_lease(
    world: World,
) -> None:
    world.queue.unreadable = True
    world.later(21)
    await world.sweep()
    assert world.queue.keys == []
    world.later(1)  # 22 s: the lease
    await world.sweep()
    assert world.queue.keys == ["c1:reminder"]


async def test_open_circuit_pauses_reconciliation(world: World) -> None:
    world.messenger.plan(SendResult(SendOutcome.UNKNOWN), create=True)
    await world.send()
    world.breaker.opened_for = 10
    await world.sweep()
    assert (await world.entry()).state is OutboxState.UNKNOWN
    world.breaker.opened_for = 0
    await world.sweep()
    assert (await world.entry()).state is OutboxState.SENT


async def test_requeue_gives_a_dead_entry_a_fresh_budget(world: World) -> None:
    world.messenger.plan(_rejected(63021))
    await world.send()
    assert await requeue_dead_letter(world.store, world.queue, "c1:reminder", clock=world.clock)
    assert await list_dead_letters(world.store) == []
    assert world.queue.keys == ["c1:reminder"]
    assert await world.send() is OutboxState.SENT
    assert not await requeue_dead_letter(world.store, world.queue, "c1:reminder", clock=world.clock)


@pytest.mark.parametrize("attempt", [1, 2, 5, 40])
def test_backoff_is_full_jitter_under_the_cap_and_honours_retry_after(
    memory_settings: Settings, attempt: int
) -> None:
    settings = memory_settings
    sending = settings.sending
    ceiling = min(sending.backoff_cap, sending.backoff_base * 2 ** min(30, attempt - 1))
    assert backoff(attempt, settings, rand=lambda: 1.0) == ceiling
    assert backoff(attempt, settings, rand=lambda: 0.0) == timedelta(0)
    assert backoff(attempt, settings, 9, rand=lambda: 0.0) == timedelta(seconds=9)
