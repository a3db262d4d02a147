"""Conversation tests written by clinic staff (``flows/tests/*.yaml``), run against a flow.

Each test is a dialogue: ``patient: "sim"`` then what must follow (``bot:``
the messages sent, ``state:``, ``status:`` ...). The format is documented in
``flows/README.md``; parsing is strict (``extra="forbid"``) so a misspelt
expectation is an error, never a test that silently checks nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.core.effects import (
    HandOff,
    HoldSlot,
    JoinWaitlist,
    OptOut,
    RequestCancellation,
    SendMessage,
    SetAppointmentStatus,
)
from bot.core.engine import Step, start, step
from bot.core.events import Burst, Event, Reply, Signal, Timeout, Unit
from bot.core.flow_spec import DURATION_PATTERN, parse_duration
from bot.core.machine import CompiledFlow
from bot.core.model import Appointment, ConversationStatus
from bot.core.slot_choice import SlotChoice
from bot.core.waitlist import offer_data

__all__ = ["DialogueFile", "Outcome", "parse_tests", "run_tests"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DialogueAppointment(_Model):
    patient_name: str = "Maria da Silva"
    doctor: str = "Dra. Ana Souza"
    starts_at: datetime = datetime.fromisoformat("2026-12-01T14:30:00-03:00")


class DialogueSlot(_Model):
    """A free time the robot pushed, offered when the patient asks to reschedule."""

    starts_at: datetime
    doctor: str = "Dra. Ana Souza"


class Line(_Model):
    """One line of the dialogue: exactly one input, then the expectations."""

    start: bool = False
    # With start: the conversation is a waitlist offer of this freed time.
    offer: DialogueSlot | None = None
    patient: str | None = None
    burst: tuple[str, ...] | None = None
    button: str | None = None
    media: int | None = None
    reaction: str | None = None
    wait: str | None = Field(default=None, pattern=DURATION_PATTERN)
    signal: str | None = None  # slot_held, slot_taken, move_applied, move_failed, hold_expired
    # Free times from this step on (default: the test's); [] when none are left.
    slots: tuple[DialogueSlot, ...] | None = None
    staff_closes: bool = Field(
        default=False, description="The person the conversation was handed to closes it"
    )
    # expectations
    bot: tuple[str, ...] | None = None
    says: str | None = None
    state: str | None = None
    intent: str | None = None
    status: str | None = None
    handoff: bool | None = None
    cancellation: bool | None = None
    opt_out: bool | None = None
    hold: bool | None = None  # a picked time is to be held
    waitlist: bool | None = None  # the appointment joins the waitlist


class Dialogue(_Model):
    name: str
    appointments: tuple[DialogueAppointment, ...] = (DialogueAppointment(),)
    slots: tuple[DialogueSlot, ...] = ()
    steps: tuple[Line, ...]


class DialogueFile(_Model):
    flow: str
    unit: Unit = Unit("Clínica Digitaly Centro", "Rua Barão de Itapetininga, 120")
    now: datetime = datetime.fromisoformat("2026-11-30T09:00:00-03:00")
    tests: tuple[Dialogue, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def parse_tests(text: str) -> DialogueFile:
    """Parse a test file; ValueError with a readable message when it is malformed."""
    try:
        return DialogueFile.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, pydantic.ValidationError) as error:
        raise ValueError(str(error)) from error


def _event(item: Line, now: datetime, n: int) -> Event | None:
    def reply(text: str = "", **extra: object) -> Reply:
        return Reply(message_id=f"m{n}", received_at=now, text=text, **extra)  # type: ignore[arg-type]

    if item.patient is not None:
        return reply(item.patient)
    if item.burst is not None:
        return Burst(tuple(reply(t) for t in item.burst))
    if item.button is not None:
        return reply(button_id=item.button)
    if item.media is not None:
        return reply(media_count=item.media)
    if item.reaction is not None:
        return reply(item.reaction, is_reaction=True)
    return None


def _check(item: Line, result: Step) -> list[str]:
    effects = result.effects
    sent = [e for e in effects if isinstance(e, SendMessage)]
    statuses = [e.status.value for e in effects if isinstance(e, SetAppointmentStatus)]
    got = {
        "bot": tuple(e.message for e in sent),
        "state": result.conversation.state,
        "intent": result.decision.intent if result.decision else None,
        "status": statuses[-1] if statuses else None,
        "handoff": any(isinstance(e, HandOff) for e in effects),
        "cancellation": any(isinstance(e, RequestCancellation) for e in effects),
        "opt_out": any(isinstance(e, OptOut) for e in effects),
        "hold": any(isinstance(e, HoldSlot) for e in effects),
        "waitlist": any(isinstance(e, JoinWaitlist) for e in effects),
    }
    failures = []
    for key, value in got.items():
        want = getattr(item, key)
        if want is not None and want != value:
            failures.append(f"{key}: esperado {want!r}, veio {value!r}")
    if item.says is not None and not any(item.says in e.text for e in sent):
        texts = [e.text for e in sent] or "nothing"
        failures.append(f"esperava uma mensagem com {item.says!r}; enviadas: {texts!r}")
    if failures and result.decision is not None:
        failures.append(f"(entendido: {result.decision.intent}: {result.decision.reason})")
    return failures


def _run_case(flow: CompiledFlow, case: Dialogue, unit: Unit, now: datetime) -> Outcome:
    appointments = [
        Appointment(
            f"a{i}", f"ext{i}", a.patient_name, "+5511987654321", a.starts_at, a.doctor, "u"
        )
        for i, a in enumerate(case.appointments, 1)
    ]
    conversation = None
    free = case.slots
    for n, item in enumerate(case.steps, 1):
        where = f"passo {n}"
        free = free if item.slots is None else item.slots
        slots = tuple(SlotChoice(f"s{i}", s.starts_at, s.doctor) for i, s in enumerate(free, 1))
        if item.start:
            result = start(
                flow,
                conversation_id="c1",
                phone="+5511987654321",
                appointments=appointments,
                unit=unit,
                now=now,
                data=offer_data(SlotChoice("s0", item.offer.starts_at, item.offer.doctor))
                if item.offer
                else None,
            )
        elif conversation is None:
            return Outcome(case.name, (f"{where}: o primeiro passo precisa ser 'start: true'",))
        elif item.staff_closes:
            closed = dataclasses.replace(conversation, status=ConversationStatus.DONE)
            result = Step(closed, (), None)
        elif item.wait is not None:
            now += parse_duration(item.wait)
            due = conversation.timeout_at
            if due is not None and due <= now:
                result = step(flow, conversation, Timeout(due), now, slots)
            else:
                result = Step(conversation, (), None, changed=False)
        elif item.signal is not None:
            now += timedelta(minutes=1)
            result = step(flow, conversation, Signal(item.signal), now, slots)
        else:
            now += timedelta(minutes=1)
            event = _event(item, now, n)
            if event is None:
                return Outcome(
                    case.name, (f"{where}: nada acontece (use patient, button, wait ...)",)
                )
            result = step(flow, conversation, event, now, slots)
        failures = _check(item, result)
        if failures:
            return Outcome(case.name, tuple(f"{where}: {f}" for f in failures))
        conversation = result.conversation
    return Outcome(case.name, ())


def run_tests(tests: DialogueFile, flows: Mapping[str, CompiledFlow]) -> list[Outcome]:
    """Run every test of a file against the named flow."""
    flow = flows.get(tests.flow)
    if flow is None:
        return [
            Outcome(
                case.name,
                (
                    f"o fluxo {tests.flow!r} não existe (ou tem problemas: rode digitaly flows check)",
                ),
            )
            for case in tests.tests
        ]
    return [_run_case(flow, case, tests.unit, tests.now) for case in tests.tests]
