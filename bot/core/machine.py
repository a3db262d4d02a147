"""A checked FlowSpec compiled into one shared ``transitions.Machine`` per flow version.

Flow files name actions and conditions; they resolve here against a closed
registry of Python callables, so no string from YAML ever reaches
``transitions`` (which would import a dotted path). The machine is built once
per version and never bound to a model: :func:`bot.core.engine.step` reads its
transitions through :attr:`CompiledFlow.table`, a frozen index of the same
``Transition`` objects, instead of building a machine per message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from transitions import Machine

from bot.core.effects import (
    Effect,
    HandOff,
    HoldSlot,
    JoinWaitlist,
    OptOut,
    RecordAnswer,
    RequestCancellation,
    SetAppointmentStatus,
)
from bot.core.errors import FlowError
from bot.core.flow_spec import FlowSpec, Target
from bot.core.intents import Decision, Fit, Understanding, fit_here
from bot.core.model import AppointmentStatus, ConversationData
from bot.core.render import format_date
from bot.core.slot_choice import SlotChoice, choices_from, offer_text, to_data

__all__ = [
    "ACTIONS",
    "CONDITIONS",
    "SIGNALS",
    "SLOT_CHOSEN",
    "SLOT_NONE",
    "TRIGGER_LATER",
    "TRIGGER_NEXT",
    "TRIGGER_TIMEOUT",
    "CompiledFlow",
    "CompiledTransition",
    "Context",
    "compile_flow",
]

TRIGGER_TIMEOUT = "timeout"
TRIGGER_NEXT = "next"
SLOT_CHOSEN = "slot_chosen"  # the reply picked one of the offered times
SLOT_NONE = "slot_none"  # the reply said none of them
# Triggers that come from the pick or from outside (services), never from the reply model:
# a flow names them in ``on`` like intents.
SIGNALS = frozenset(
    {
        SLOT_CHOSEN,
        SLOT_NONE,
        "slot_held",  # the picked time is held; the move is on its way to the robot
        "slot_taken",  # another patient holds it, or a push withdrew it
        "move_applied",  # the robot moved the appointment in the legacy system
        "move_failed",  # the legacy system refused the move
        "hold_expired",  # the robot did not settle the move in time
        "offer_closed",  # a waitlist offer: another patient took the time first
        "offer_withdrawn",  # a waitlist offer: the clinic re-instated the cancelled appointment
        "offer_expired",  # a waitlist offer: unanswered for waitlist.offer_valid_for
    }
)
# A message after the conversation ended: where a terminal state's ``later`` leads.
TRIGGER_LATER = "later"
_NOT_INTENTS = (TRIGGER_TIMEOUT, TRIGGER_NEXT, TRIGGER_LATER)


@dataclass(slots=True)
class Context:
    """What an action or condition may look at; ``data`` is the step's working copy."""

    appointment_ids: tuple[str, ...]
    state: str
    data: ConversationData
    allow_reconfirm: bool
    decision: Decision | None = None
    reason: str = ""
    # Free times that fit the conversation's appointment, best first (loaded by the service).
    slots: tuple[SlotChoice, ...] = ()
    # An opt-out read from free text also confirms, in a clause of its own (bot.core.compound).
    also_confirms: bool = False


Action = Callable[[Context], list[Effect]]
Condition = Callable[[Context], bool]


def _set_status(ctx: Context, status: AppointmentStatus) -> list[Effect]:
    return [SetAppointmentStatus(a, status) for a in ctx.appointment_ids]


def confirm_appointment(ctx: Context) -> list[Effect]:
    """Mark the appointments confirmed, unless cancelled earlier and the flow forbids it."""
    if ctx.data.get("cancelled") and not ctx.allow_reconfirm:
        return []
    ctx.data["confirmed"] = True
    ctx.data["cancelled"] = False
    return _set_status(ctx, AppointmentStatus.CONFIRMED)


def request_cancellation(ctx: Context) -> list[Effect]:
    """Record the cancellation for the RPA robot (once per conversation)."""
    if ctx.data.get("cancelled"):
        return []
    ctx.data["cancelled"] = True
    ctx.data["confirmed"] = False
    effects = _set_status(ctx, AppointmentStatus.CANCEL_REQUESTED)
    return effects + [RequestCancellation(a) for a in ctx.appointment_ids]


def request_reschedule(ctx: Context) -> list[Effect]:
    """Mark a reschedule request; a recorded cancellation stands (staff offer a new slot)."""
    ctx.data["reschedule"] = True
    if ctx.data.get("cancelled"):
        return []
    return _set_status(ctx, AppointmentStatus.RESCHEDULE_REQUESTED)


def hand_off(ctx: Context) -> list[Effect]:
    """Hand the conversation to a person."""
    ctx.data["handed_off"] = True
    return [HandOff(ctx.reason or f"the flow reached {ctx.state}")]


def opt_out(ctx: Context) -> list[Effect]:
    """Stop messaging this patient; an appointment already answered keeps its answer."""
    ctx.data["opted_out"] = True
    effects: list[Effect] = [OptOut()]
    if not ctx.data.get("confirmed") and not ctx.data.get("cancelled"):
        effects += _set_status(ctx, AppointmentStatus.OPTED_OUT)
    return effects


def mark_no_response(ctx: Context) -> list[Effect]:
    """The patient never answered the reminders."""
    if ctx.data.get("confirmed") or ctx.data.get("cancelled"):
        return []
    return _set_status(ctx, AppointmentStatus.NO_RESPONSE)


def offer_slots(ctx: Context) -> list[Effect]:
    """Offer the free times at hand as a numbered list (``slot_list``); none: nothing offered."""
    ctx.data["offer"] = to_data(ctx.slots)
    ctx.data.setdefault("vars", {})["slot_list"] = offer_text(ctx.slots)
    return []


def hold_slot(ctx: Context) -> list[Effect]:
    """Ask for the picked time to be held; its date and doctor become ``new_*`` variables."""
    offered = choices_from(ctx.data.get("offer"))
    index = ctx.data.get("picked")
    if not isinstance(index, int) or not 0 <= index < len(offered):
        return []
    choice = offered[index]
    values = ctx.data.setdefault("vars", {})
    values["new_date_time"] = f"{format_date(choice.starts_at)}, às {choice.starts_at:%H:%M}"
    values["new_doctor"] = choice.doctor
    ctx.data["holding"] = choice.id
    return [HoldSlot(choice.id)]


def note_move_failed(ctx: Context) -> list[Effect]:
    """The robot could not book the held time: remember it (a second failure goes to a person)."""
    ctx.data["moves_failed"] = int(ctx.data.get("moves_failed", 0)) + 1
    return []


def join_waitlist(ctx: Context) -> list[Effect]:
    """Put the conversation's appointments on the waitlist for an earlier time."""
    ctx.data["waitlisted"] = True
    return [JoinWaitlist(a) for a in ctx.appointment_ids]


def take_offer(ctx: Context) -> list[Effect]:
    """The patient said yes to the one time a waitlist offer names: pick it (``hold_slot`` next)."""
    if choices_from(ctx.data.get("offer")):
        ctx.data["picked"] = 0
    return []


def record_answer(ctx: Context) -> list[Effect]:
    """Keep the intent just understood as the answer to the current state's question."""
    value = ctx.decision.intent if ctx.decision else ""
    ctx.data.setdefault("answers", {})[ctx.state] = value
    return [RecordAnswer(ctx.state, value)]


ACTIONS: Mapping[str, Action] = {
    f.__name__: f
    for f in (
        confirm_appointment,
        request_cancellation,
        request_reschedule,
        hand_off,
        opt_out,
        mark_no_response,
        record_answer,
        offer_slots,
        hold_slot,
        note_move_failed,
        join_waitlist,
        take_offer,
    )
}

CONDITIONS: Mapping[str, Condition] = {
    "single_appointment": lambda ctx: len(ctx.appointment_ids) == 1,
    "several_appointments": lambda ctx: len(ctx.appointment_ids) > 1,
    "cancelled": lambda ctx: bool(ctx.data.get("cancelled")),
    "confirmed": lambda ctx: bool(ctx.data.get("confirmed")),
    "not_cancelled": lambda ctx: not ctx.data.get("cancelled"),
    "may_confirm": lambda ctx: ctx.allow_reconfirm or not ctx.data.get("cancelled"),
    # A button, a menu number or an exact word, not a reading of free text: an opt-out or a
    # cancellation read by the model goes through a confirming question instead.
    "said_firmly": lambda ctx: ctx.decision is not None and ctx.decision.firm,
    # Only a confirmation the conversation does not have yet: an already confirmed patient
    # who writes "vou sim, mas parem" gets the opt-out question, not a second "confirmed".
    "also_confirms": lambda ctx: ctx.also_confirms and not ctx.data.get("confirmed"),
    "slots_offered": lambda ctx: bool(ctx.data.get("offer")),
    "first_failed_move": lambda ctx: not ctx.data.get("moves_failed"),
}


@dataclass(frozen=True, slots=True)
class CompiledTransition:
    """One way out of a state: guards, actions (named, for the decision log), destination."""

    dest: str
    conditions: tuple[tuple[Condition, bool], ...]
    actions: tuple[tuple[str, Action], ...]


@dataclass(frozen=True, slots=True)
class CompiledFlow:
    """Everything a step needs about one flow version, built once and shared."""

    spec: FlowSpec
    version: str
    source: str
    machine: Machine
    understanding: Understanding
    table: Mapping[tuple[str, str], tuple[CompiledTransition, ...]]
    buttons: Mapping[str, str]  # payload id -> intent
    accepted: Mapping[str, frozenset[str]]  # state -> intents it listens for

    @property
    def name(self) -> str:
        return self.spec.flow

    @property
    def waiting_state(self) -> str:
        """The state a new conversation waits in (after any ``next`` hops)."""
        state, seen = self.spec.initial, set()
        while (nxt := self.spec.states[state].next) and state not in seen:
            seen.add(state)
            state = nxt[0].to
        return state


def _resolve(names: tuple[str, ...], registry: Mapping[str, Any], what: str) -> list[Any]:
    missing = [n for n in names if n not in registry]
    if missing:
        raise FlowError(f"unknown {what}: {', '.join(missing)}")
    return [registry[n] for n in names]


def _add(machine: Machine, trigger: str, source: str, target: Target) -> None:
    machine.add_transition(
        trigger,
        source,
        target.to,
        conditions=_resolve(target.when, CONDITIONS, "condition"),
        after=_resolve(target.do, ACTIONS, "action"),
    )


def _build_machine(spec: FlowSpec) -> Machine:
    machine = Machine(
        model=None,
        states=list(spec.states),
        initial=spec.initial,
        auto_transitions=False,
        send_event=True,
    )
    for name, state in spec.states.items():
        for intent, targets in state.on.items():
            for target in targets:
                _add(machine, intent, name, target)
        if not state.terminal:
            for intent, targets in spec.anywhere.items():
                if intent not in state.on:
                    for target in targets:
                        _add(machine, intent, name, target)
        if state.timeout is not None:
            timeout = state.timeout
            _add(machine, TRIGGER_TIMEOUT, name, Target(to=timeout.to, do=timeout.do))
        for target in state.next or ():
            _add(machine, TRIGGER_NEXT, name, target)
        for target in state.later:
            _add(machine, TRIGGER_LATER, name, target)
    return machine


def _reads(spec: FlowSpec, name: str) -> bool:
    """A state that reads free text: it waits for the patient, not only for a signal."""
    state = spec.states[name]
    return state.waits and not set(state.on) <= SIGNALS


def compile_flow(
    spec: FlowSpec, version: str, source: str = "", fit: Fit = fit_here
) -> CompiledFlow:
    """Build the flow's single machine and the index ``step`` reads; FlowError on bad names.

    ``fit`` fits the flow's reply models (:class:`bot.core.intents.Understanding`)."""
    try:
        machine = _build_machine(spec)
    except ValueError as error:  # transitions refuses an unknown state
        raise FlowError(f"flow {spec.flow}: {error}") from error
    names = {id(f): n for n, f in ACTIONS.items()}
    table: dict[tuple[str, str], tuple[CompiledTransition, ...]] = {}
    accepted: dict[str, set[str]] = {s: set() for s in spec.states}
    for trigger, event in machine.events.items():
        for source, transitions in event.transitions.items():
            table[(source, trigger)] = tuple(
                CompiledTransition(
                    dest=cast(str, t.dest),  # never None: no internal transitions are added
                    conditions=tuple((cast(Condition, c.func), c.target) for c in t.conditions),
                    actions=tuple((names[id(a)], cast(Action, a)) for a in t.after),
                )
                for t in transitions
            )
            if trigger not in _NOT_INTENTS and trigger not in SIGNALS:
                accepted[source].add(trigger)
    buttons = {b.id: b.intent for m in spec.messages.values() for b in m.buttons}
    frozen = {s: frozenset(i) for s, i in accepted.items()}
    return CompiledFlow(
        spec=spec,
        version=version,
        source=source,
        machine=machine,
        understanding=Understanding(
            spec, {s: frozen[s] for s in spec.states if _reads(spec, s)}, fit
        ),
        table=table,
        buttons=buttons,
        accepted=frozen,
    )
