"""Table tests of the pure engine: start, step, timeouts, versions."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest

from bot.core.effects import (
    HandOff,
    RecordAnswer,
    RequestCancellation,
    SendMessage,
    SetAppointmentStatus,
)
from bot.core.engine import Step, start, step
from bot.core.events import Burst, Reply, Timeout, Unit
from bot.core.flow_check import check_flow
from bot.core.machine import ACTIONS, CompiledFlow, Context
from bot.core.model import Appointment, AppointmentStatus, ConversationStatus, stopped_data
from bot.core.slot_choice import SlotChoice

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
UNIT = Unit("Clínica Centro", "Rua A, 1")


@cache
def compiled(name: str, edit: tuple[str, str] | None = None) -> CompiledFlow:
    text = (ROOT / "flows" / f"{name}.yaml").read_text(encoding="utf-8")
    if edit is not None:
        assert edit[0] in text
        text = text.replace(*edit)
    result = check_flow(text)
    assert result.flow is not None, result.problems
    return result.flow


def appointment(n: int = 1) -> Appointment:
    return Appointment(
        f"a{n}", f"e{n}", "Maria Silva", "+5511987654321", NOW + timedelta(days=1, hours=n),
        "Dra. Ana", "centro",
    )  # fmt: skip


def begin(flow: CompiledFlow | None = None, count: int = 1) -> Step:
    return start(
        flow or compiled("confirmation"),
        conversation_id="c1",
        phone="+5511987654321",
        appointments=[appointment(n) for n in range(1, count + 1)],
        unit=UNIT,
        now=NOW,
    )


def say(previous: Step, text: str = "", minutes: int = 1, **extra: object) -> Step:
    at = NOW + timedelta(minutes=minutes)
    reply = Reply(message_id=f"m{minutes}", received_at=at, text=text, **extra)  # type: ignore[arg-type]
    return step(compiled("confirmation"), previous.conversation, reply, at)


def sends(result: Step) -> list[SendMessage]:
    return [e for e in result.effects if isinstance(e, SendMessage)]


def test_start_sends_the_reminder_template() -> None:
    result = begin()
    conversation = result.conversation
    assert (conversation.state, conversation.version, conversation.flow) == (
        "awaiting_reply", 0, "confirmation",
    )  # fmt: skip
    assert conversation.flow_version == compiled("confirmation").version
    assert conversation.timeout_at == NOW + timedelta(hours=24)
    [message] = sends(result)
    assert message.key == "c1:awaiting_reply:reminder:1"
    assert message.content_sid == "HX00000000000000000000000000000001"
    assert message.variables["1"] == "Maria"
    assert message.variables["4"] == "terça-feira, 1 de dezembro, às 10:00"
    assert [b[0] for b in message.buttons] == ["confirm", "cancel", "reschedule"]
    assert "Dra. Ana" in message.text
    json.dumps(conversation.data)  # storable as is


def test_confirming_ends_the_conversation() -> None:
    result = say(begin(), "sim")
    assert result.changed
    assert result.conversation.version == 1
    assert result.conversation.status == ConversationStatus.DONE
    assert result.conversation.timeout_at is None
    assert SetAppointmentStatus("a1", AppointmentStatus.CONFIRMED) in result.effects
    assert result.decision is not None
    assert result.conversation.data["decisions"][-1]["reason"] == result.decision.reason


def test_cancellation_is_recorded_once_per_appointment_after_the_question() -> None:
    asked = say(begin(count=2), "não vou poder")
    assert not any(isinstance(e, RequestCancellation) for e in asked.effects)
    done = say(asked, "sim", minutes=2)
    requests = [e for e in done.effects if isinstance(e, RequestCancellation)]
    assert requests == [RequestCancellation("a1"), RequestCancellation("a2")]
    assert done.conversation.state == "cancelled"


def test_unknown_is_asked_again_then_handed_off() -> None:
    once = say(begin(), "qual o endereço?")
    assert [m.message for m in sends(once)] == ["ask_again"]
    assert once.conversation.state == "awaiting_reply"
    assert once.conversation.timeout_at == NOW + timedelta(hours=24)  # the wait goes on
    twice = say(once, "?", minutes=2)
    assert twice.conversation.status == ConversationStatus.HANDED_OFF
    [handoff] = [e for e in twice.effects if isinstance(e, HandOff)]
    assert "not understood 2 time(s)" in handoff.reason


def test_media_goes_straight_to_a_person_and_is_never_a_cancellation() -> None:
    result = say(begin(), media_count=2)
    assert result.conversation.state == "handoff"
    assert not any(
        isinstance(e, RequestCancellation | SetAppointmentStatus) for e in result.effects
    )


def test_non_text_may_be_asked_again_when_the_flow_says_so() -> None:
    flow = compiled("confirmation", ("non_text: handoff", "non_text: ask_again"))
    first = begin(flow)
    at = NOW + timedelta(minutes=1)
    result = step(flow, first.conversation, Reply("m", at, media_count=1), at)
    assert [m.message for m in sends(result)] == ["ask_again"]


def test_a_burst_is_one_decision() -> None:
    first = begin()
    at = NOW + timedelta(minutes=1)
    burst = Burst(tuple(Reply(f"m{i}", at, t) for i, t in enumerate(["oi", "bom dia", "confirmo"])))
    result = step(compiled("confirmation"), first.conversation, burst, at)
    assert result.conversation.state == "confirmed"
    assert result.conversation.version == 1


@pytest.mark.parametrize(
    ("due", "minutes_later"),
    [
        (NOW + timedelta(hours=23), 24 * 60),  # not the timeout the conversation waits for
        (NOW + timedelta(hours=24), 60),  # early: the scheduler's clock ran ahead
    ],
)
def test_stale_or_early_timeouts_change_nothing(due: datetime, minutes_later: int) -> None:
    first = begin()
    result = step(
        compiled("confirmation"),
        first.conversation,
        Timeout(due),
        NOW + timedelta(minutes=minutes_later),
    )
    assert not result.changed
    assert result.conversation is first.conversation
    assert result.effects == ()


def test_timeouts_send_the_second_reminder_then_give_up() -> None:
    flow = compiled("confirmation")
    first = begin()
    due = first.conversation.timeout_at
    assert due is not None
    second = step(flow, first.conversation, Timeout(due), due)
    assert [m.kind for m in sends(second)] == ["reminder_2"]
    due2 = second.conversation.timeout_at
    assert due2 == due + timedelta(hours=12)
    last = step(flow, second.conversation, Timeout(due2), due2)
    assert last.conversation.state == "no_response"
    assert SetAppointmentStatus("a1", AppointmentStatus.NO_RESPONSE) in last.effects


def test_a_reminder_kind_is_never_sent_twice() -> None:
    flow = compiled(
        "confirmation",
        (
            "{after: 12h, to: no_response}\n  confirm_cancel",
            "{after: 12h, to: awaiting_reply}\n  confirm_cancel",
        ),
    )
    result = begin(flow)
    kinds = [m.kind for m in sends(result)]
    for _ in range(4):
        due = result.conversation.timeout_at
        assert due is not None
        result = step(flow, result.conversation, Timeout(due), due)
        kinds += [m.kind for m in sends(result)]
    assert kinds == ["reminder", "reminder_2"]


def test_a_message_after_the_end_is_answered_where_later_leads() -> None:
    # Issue 16 changed this: a finished conversation no longer ignores a later message.
    done = say(begin(), "1")
    assert done.conversation.status is ConversationStatus.DONE
    hello = say(done, "oi", minutes=2)
    assert hello.conversation.state == "after_confirmed"
    assert hello.conversation.status is ConversationStatus.ACTIVE
    assert [m.message for m in sends(hello)] == ["already_confirmed"]
    cancelling = say(done, "2", minutes=2)  # the answer the later state offers is taken at once
    assert cancelling.conversation.state == "confirm_cancel"
    assert [m.message for m in sends(cancelling)] == ["cancel_question"]


def test_a_stopped_conversation_stays_quiet() -> None:
    done = say(begin(), "1")
    stopped = replace(done.conversation, data=stopped_data(done.conversation.data, "moved"))
    again = step(compiled("confirmation"), stopped, Reply("m9", NOW, "oi"), NOW)
    assert not again.changed
    assert again.effects == ()


def test_a_conversation_stays_on_its_version() -> None:
    old = compiled("confirmation")
    new = compiled("confirmation", ("Até lá!", "Até breve!"))
    assert old.version != new.version
    running = begin(old)
    at = NOW + timedelta(minutes=1)
    assert (
        step(old, running.conversation, Reply("m", at, "sim"), at).conversation.state == "confirmed"
    )
    with pytest.raises(ValueError, match="not confirmation@"):
        step(new, running.conversation, Reply("m", at, "sim"), at)


def test_confirming_after_a_cancellation_is_refused_unless_allowed() -> None:
    ctx = Context(("a1",), "s", {"cancelled": True}, allow_reconfirm=False)
    assert ACTIONS["confirm_appointment"](ctx) == []
    ctx = Context(("a1",), "s", {"cancelled": True}, allow_reconfirm=True)
    assert ACTIONS["confirm_appointment"](ctx) == [
        SetAppointmentStatus("a1", AppointmentStatus.CONFIRMED)
    ]


def test_the_decision_log_is_bounded() -> None:
    result = begin()
    for minute in range(1, 31):  # "desmarcar" / "não" loops between two states forever
        result = say(result, "desmarcar" if minute % 2 else "não", minutes=minute)
    assert result.conversation.version == 30
    assert len(result.conversation.data["decisions"]) == 20


def test_satisfaction_records_the_answer() -> None:
    flow = compiled("satisfaction")
    first = begin(flow)
    at = NOW + timedelta(hours=1)
    result = step(flow, first.conversation, Reply("m", at, "excelente"), at)
    assert RecordAnswer("asking", "great") in result.effects
    assert result.conversation.data["answers"] == {"asking": "great"}


@pytest.mark.parametrize(("text", "offered"), [("3", True), ("1", False), ("2", False)])
def test_a_step_says_whether_it_offered_free_times(text: str, offered: bool) -> None:
    # A turn reads the free times (up to three store queries) only for a step that offers them.
    assert say(begin(), text).offered is offered


def test_stepped_again_with_free_times_the_step_offers_them() -> None:
    at = NOW + timedelta(minutes=1)
    reply = Reply(message_id="m1", received_at=at, text="3")
    flow, waiting = compiled("confirmation"), begin().conversation
    without = step(flow, waiting, reply, at)
    assert without.offered
    assert without.conversation.state == "reschedule_handoff"
    free = [SlotChoice("s1", NOW + timedelta(days=3), "Dra. Ana")]
    with_times = step(flow, waiting, reply, at, free)
    assert with_times.offered
    assert with_times.conversation.state == "choosing_slot"


@pytest.mark.parametrize("status", [ConversationStatus.ACTIVE, ConversationStatus.DONE])
@pytest.mark.parametrize("event", ["reply", "button", "timeout"])
def test_an_erased_conversation_never_moves(status: ConversationStatus, event: str) -> None:
    started = begin().conversation
    erased = replace(started, status=status, data={"erased": True})
    due = started.timeout_at or NOW
    later = due + timedelta(minutes=1)
    happened = {
        "reply": Reply(message_id="m1", received_at=later, text="sim"),
        "button": Reply(message_id="m1", received_at=later, text="Sim", button_id="confirm"),
        "timeout": Timeout(due_at=due),
    }[event]
    result = step(compiled("confirmation"), erased, happened, later)
    assert (result.changed, result.effects, result.conversation) == (False, (), erased)
