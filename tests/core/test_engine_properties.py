"""Random event sequences against the real flows (Hypothesis RuleBasedStateMachine).

Whatever patients and the scheduler do, in any order: a step never raises;
``version`` grows by exactly one per accepted step; no confirmation is recorded
after a cancellation (the shipped flows do not allow re-confirming); no
reminder kind is sent twice; message keys never repeat; and the conversation
stays storable as JSON.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from bot.core.effects import Effect, RequestCancellation, SendMessage, SetAppointmentStatus
from bot.core.engine import start, step
from bot.core.events import Burst, Event, Reply, Timeout, Unit
from bot.core.flow_check import check_flow
from bot.core.machine import CompiledFlow
from bot.core.model import Appointment, AppointmentStatus, ConversationStatus

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def load(name: str) -> CompiledFlow:
    flow = check_flow((ROOT / "flows" / f"{name}.yaml").read_text(encoding="utf-8")).flow
    assert flow is not None
    return flow


SAYINGS = [
    "sim", "não", "1", "2", "3", "4", "5", "👍", "SAIR", "desmarcar", "remarcar", "confirmo",
    "sim mas não vou poder", "qual o endereço?", "ok", "pode cancelar", "não quero desmarcar",
    "excelente", "péssimo", "", "vou sair de viagem",
]  # fmt: skip


class ConversationMachine(RuleBasedStateMachine):
    flow_name = "confirmation"

    def __init__(self) -> None:
        super().__init__()
        self.flow = load(self.flow_name)
        self.now = START
        appointments = [
            Appointment("a1", "e1", "Maria Silva", "+5511987654321", START + timedelta(days=2), "Dra. Ana", "u"),
            Appointment("a2", "e2", "Maria Silva", "+5511987654321", START + timedelta(days=2, hours=1), "Dr. Luz", "u"),
        ]  # fmt: skip
        self.result = start(
            self.flow, conversation_id="c", phone="+5511987654321", appointments=appointments,
            unit=Unit("Clínica", "Rua A"), now=START,
        )  # fmt: skip
        self.effects: list[Effect] = list(self.result.effects)
        self.buttons = [*self.flow.buttons, "Confirmar", "junk"]

    def apply(self, event: Event) -> None:
        before = self.result.conversation
        result = step(self.flow, before, event, self.now)
        if result.changed:
            assert result.conversation.version == before.version + 1
            assert result.conversation.updated_at == self.now
        else:
            assert result.conversation is before
            assert result.effects == ()
        self.result = result
        self.effects += result.effects

    @rule(text=st.sampled_from(SAYINGS) | st.text(max_size=30), minutes=st.integers(0, 600))
    def patient_writes(self, text: str, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        self.apply(Reply(f"m{self.now.timestamp()}", self.now, text))

    @rule(data=st.data())
    def patient_taps(self, data: st.DataObject) -> None:
        self.now += timedelta(minutes=1)
        button = data.draw(st.sampled_from(self.buttons))
        self.apply(Reply("b", self.now, button_id=button))

    @rule(media=st.integers(0, 2), reaction=st.booleans())
    def patient_sends_media_or_reacts(self, media: int, reaction: bool) -> None:
        self.now += timedelta(seconds=30)
        self.apply(Reply("x", self.now, "", media_count=media, is_reaction=reaction))

    @rule(texts=st.lists(st.sampled_from(SAYINGS), min_size=1, max_size=3))
    def patient_bursts(self, texts: list[str]) -> None:
        self.now += timedelta(seconds=5)
        self.apply(Burst(tuple(Reply(f"b{i}", self.now, t) for i, t in enumerate(texts))))

    @precondition(lambda self: self.result.conversation.timeout_at is not None)
    @rule()
    def scheduler_fires_the_due_timeout(self) -> None:
        due = self.result.conversation.timeout_at
        assert due is not None
        self.now = max(self.now, due)
        self.apply(Timeout(due))

    @rule(offset=st.integers(-3600, 3600))
    def scheduler_fires_a_stale_or_early_timeout(self, offset: int) -> None:
        self.apply(Timeout(self.now + timedelta(seconds=offset)))

    @invariant()
    def no_confirmation_after_a_cancellation(self) -> None:
        cancelled = False
        for effect in self.effects:
            if isinstance(effect, RequestCancellation):
                cancelled = True
            confirmed = (
                SetAppointmentStatus(effect.appointment_id, AppointmentStatus.CONFIRMED)
                if isinstance(effect, SetAppointmentStatus)
                else None
            )
            assert not (cancelled and effect == confirmed)

    @invariant()
    def one_reminder_per_kind_and_unique_keys(self) -> None:
        sent = [e for e in self.effects if isinstance(e, SendMessage)]
        kinds = [m.kind for m in sent if m.kind != "reply"]
        assert len(kinds) == len(set(kinds))
        keys = [m.key for m in sent]
        assert len(keys) == len(set(keys))

    @invariant()
    def the_state_is_consistent_and_storable(self) -> None:
        conversation = self.result.conversation
        spec = self.flow.spec.states[conversation.state]
        assert spec.terminal == (conversation.status != ConversationStatus.ACTIVE)
        assert (conversation.timeout_at is not None) == (
            spec.timeout is not None and not spec.terminal
        )
        json.dumps(conversation.data)


class SatisfactionMachine(ConversationMachine):
    flow_name = "satisfaction"


TestConfirmationConversations = ConversationMachine.TestCase
TestConfirmationConversations.settings = settings(
    max_examples=100, stateful_step_count=25, deadline=None
)
TestSatisfactionConversations = SatisfactionMachine.TestCase
TestSatisfactionConversations.settings = settings(
    max_examples=50, stateful_step_count=15, deadline=None
)
