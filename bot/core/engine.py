"""The conversation engine: ``step(flow, conversation, event, now) -> Step``.

Pure: it reads no clock (``now`` is passed in), does no I/O and never raises
on what a patient writes. A reply to a finished conversation goes where its
terminal state's ``later`` says. A step that changes nothing (a stale
timeout, a reply to a conversation with staff or stopped) returns the conversation unchanged with
``changed=False``; every other step returns ``version + 1``.

``conversation.data`` keeps the flow-local bookkeeping, all JSON-able:
``vars`` (rendered variables), ``sent`` (messages sent per kind), ``asks``
(unknown replies in the current state), ``decisions`` (the last few, with the
rule that matched), and the flags the actions set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from bot.core.compound import also_confirms
from bot.core.effects import Effect, SendMessage
from bot.core.events import Burst, Event, Reply, Signal, Timeout, Unit
from bot.core.flow_spec import Message
from bot.core.intents import UNKNOWN, Decision, classify
from bot.core.machine import (
    ACTIONS,
    SLOT_CHOSEN,
    SLOT_NONE,
    TRIGGER_LATER,
    TRIGGER_NEXT,
    TRIGGER_TIMEOUT,
    Action,
    CompiledFlow,
    Context,
)
from bot.core.model import (
    Appointment,
    Conversation,
    ConversationData,
    ConversationStatus,
    DecisionRecord,
)
from bot.core.render import rendered, variables_for
from bot.core.slot_choice import NONE, ListItem, SlotChoice, choices_from, list_items, pick

__all__ = ["Step", "start", "step"]

_KEEP_DECISIONS = 20
OFFER_SLOTS = "offer_slots"  # the one action that reads the free times
_MAX_HOPS = 32  # ``next`` chains longer than this are a loop the checker missed


@dataclasses.dataclass(frozen=True, slots=True)
class Step:
    """The result of a step: the new conversation, what to do, and why."""

    conversation: Conversation
    effects: tuple[Effect, ...]
    decision: Decision | None = None
    changed: bool = True
    # The step offered free times (``offer_slots`` ran): stepped without them, it must be
    # stepped again with them, since that is all a step reads them for.
    offered: bool = False


def _ms(moment: datetime) -> datetime:
    # BSON keeps milliseconds: a timeout read back from storage must still compare equal.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _copy(data: ConversationData) -> ConversationData:
    """One level deeper than ``dict(data)``: enough for the containers a step mutates."""
    copied: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            copied[key] = dict(value)
        elif isinstance(value, list):
            copied[key] = list(value)
        else:
            copied[key] = value
    return cast(ConversationData, copied)


class _Run:
    """The working state of one step."""

    def __init__(
        self,
        flow: CompiledFlow,
        conversation: Conversation,
        now: datetime,
        slots: Sequence[SlotChoice] = (),
    ) -> None:
        self.flow = flow
        self.slots = tuple(slots)
        self.conversation = conversation
        self.now = now
        self.state = conversation.state
        self.status = conversation.status
        self.timeout_at = conversation.timeout_at
        self.data = _copy(conversation.data)
        self.effects: list[Effect] = []
        self.decision: Decision | None = None
        self.also_confirms = False
        self.reason = ""
        self.offered = False

    def act(self, name: str, action: Action, ctx: Context) -> None:
        self.offered |= name == OFFER_SLOTS
        self.effects += action(ctx)

    def context(self) -> Context:
        return Context(
            appointment_ids=self.conversation.appointment_ids,
            state=self.state,
            data=self.data,
            allow_reconfirm=self.flow.spec.allow_reconfirm,
            decision=self.decision,
            reason=self.reason,
            also_confirms=self.also_confirms,
            slots=self.slots,
        )

    def fire(self, trigger: str, hops: int = 0) -> bool:
        """Take the first transition for ``trigger`` whose conditions hold; False if none."""
        for transition in self.flow.table.get((self.state, trigger), ()):
            ctx = self.context()
            if all(bool(check(ctx)) == want for check, want in transition.conditions):
                for name, action in transition.actions:
                    self.act(name, action, ctx)
                self.enter(transition.dest, hops)
                return True
        return False

    def enter(self, state: str, hops: int = 0) -> None:
        spec = self.flow.spec.states[state]
        self.state = state
        self.data["asks"] = 0
        ctx = self.context()
        for action in spec.do:
            self.act(action, ACTIONS[action], ctx)
        for message in spec.send:
            self.send(message)
        self.timeout_at = _ms(self.now + spec.timeout.delta) if spec.timeout else None
        if spec.terminal:
            handed = self.data.get("handed_off")
            self.status = ConversationStatus.HANDED_OFF if handed else ConversationStatus.DONE
        elif spec.next is not None and hops < _MAX_HOPS:
            self.fire(TRIGGER_NEXT, hops + 1)

    def send(self, name: str) -> None:
        message = self.flow.spec.messages[name]
        sent: dict[str, int] = self.data.setdefault("sent", {})
        count = sent.get(message.kind, 0)
        if message.kind != "reply" and count:
            return  # never two reminders of one kind to the same patient
        sent[message.kind] = count + 1
        done = rendered(message, self.data.get("vars", {}), len(self.conversation.appointment_ids))
        conversation = self.conversation
        self.effects.append(
            SendMessage(
                key=f"{conversation.id}:{self.state}:{message.kind}:{count + 1}",
                conversation_id=conversation.id,
                phone=conversation.phone,
                kind=message.kind,
                message=name,
                text=done.text,
                content_sid=done.content_sid,
                variables=done.variables,
                buttons=done.buttons,
                choices=self._choices(message),
            )
        )

    def _choices(self, message: Message) -> tuple[ListItem, ...]:
        """A message that shows the offered times (``{slot_list}``) also offers them as a list."""
        if "{slot_list}" not in message.text:
            return ()
        return list_items(choices_from(self.data.get("offer")))

    def fall_back(self, decision: Decision) -> None:
        """A reply the state does not take: ask again (at most N times), then a person."""
        fallback = self.flow.spec.fallback
        asks = int(self.data.get("asks", 0))
        if decision.rule == "two_people" or (decision.non_text and fallback.non_text == "handoff"):
            self.reason = f"needs a person: {decision.reason}"
        elif asks < fallback.max_asks:
            self.send(self.flow.spec.states[self.state].ask_again or fallback.ask_again)
            self.data["asks"] = asks + 1
            return
        else:
            self.reason = f"not understood {asks + 1} time(s): {decision.reason}"
        self.enter(fallback.then)

    def result(self) -> Step:
        conversation = dataclasses.replace(
            self.conversation,
            state=self.state,
            status=self.status,
            timeout_at=self.timeout_at,
            data=self.data,
            version=self.conversation.version + 1,
            updated_at=self.now,
        )
        return Step(conversation, tuple(self.effects), self.decision, offered=self.offered)


def start(
    flow: CompiledFlow,
    *,
    conversation_id: str,
    phone: str,
    appointments: Sequence[Appointment],
    unit: Unit,
    now: datetime,
    data: ConversationData | None = None,
) -> Step:
    """Begin a conversation at the flow's newest version: enter its initial state (the reminder).

    Several appointments (same patient, same window) share one conversation:
    the reminder covers them all and every action applies to each. ``data`` is what
    the starter knows besides the appointments (a waitlist offer's time); its
    ``vars`` join the appointments' variables.
    """
    conversation = Conversation(
        id=conversation_id,
        phone=phone,
        flow=flow.name,
        flow_version=flow.version,
        state=flow.spec.initial,
        appointment_ids=tuple(a.id for a in appointments),
        created_at=now,
        updated_at=now,
        version=-1,  # entering the initial state is its first step: version 0, for create()
        data={"vars": variables_for(appointments, unit), "sent": {}, "asks": 0, "decisions": []},
    )
    if data:
        conversation.data["vars"].update(data.get("vars", {}))
        conversation.data.update({k: v for k, v in data.items() if k != "vars"})  # type: ignore[typeddict-item]
    run = _Run(flow, conversation, now)
    run.enter(flow.spec.initial)
    return run.result()


def _decide(flow: CompiledFlow, run: _Run, replies: Sequence[Reply]) -> Decision:
    pressed = [r.button_id for r in replies if r.button_id is not None]
    return classify(
        flow.understanding,
        [r.text for r in replies],
        accepted=flow.accepted.get(run.state, frozenset()),
        button_id=pressed[-1] if pressed else None,
        buttons=flow.buttons,
        menu=flow.spec.states[run.state].menu,
        media_count=sum(r.media_count for r in replies),
        is_reaction=all(r.is_reaction for r in replies),
        state=run.state,
    )


def _pick(run: _Run, replies: Sequence[Reply]) -> Decision | None:
    """A reply picking one of the times offered in this state ("2", "terça à tarde", "nenhum")."""
    offered = choices_from(run.data.get("offer"))
    if not offered or (run.state, SLOT_CHOSEN) not in run.flow.table:
        return None
    tapped = [r.button_id for r in replies if r.button_id is not None]
    picked = pick(" ".join(r.text for r in replies), offered, tapped[-1] if tapped else None)
    if picked is None:
        return None
    if picked == NONE:
        return Decision(SLOT_NONE, "none of the offered times", "slot_pick")
    run.data["picked"] = picked
    return Decision(SLOT_CHOSEN, f"offered time {picked + 1}", "slot_pick")


def step(
    flow: CompiledFlow,
    conversation: Conversation,
    event: Event,
    now: datetime,
    slots: Sequence[SlotChoice] = (),
) -> Step:
    """Apply one event to a conversation, on the flow version it is pinned to.

    ``slots`` are the free times that fit the conversation's appointment, best first,
    for a step that may offer them (``offer_slots``).

    Raises ValueError only for a caller's mistake (a flow that is not the
    conversation's version); never for anything a patient sends.
    """
    if (conversation.flow, conversation.flow_version) != (flow.name, flow.version):
        raise ValueError(
            f"conversation {conversation.id} runs {conversation.flow}@{conversation.flow_version}, "
            f"not {flow.name}@{flow.version}"
        )
    unchanged = Step(conversation, (), None, changed=False)
    if conversation.data.get("erased"):
        return unchanged  # the patient's data was erased (LGPD): nothing left to talk with
    if conversation.status == ConversationStatus.DONE and not isinstance(event, Timeout):
        return _after_end(flow, conversation, event, now)
    if conversation.status != ConversationStatus.ACTIVE:
        return unchanged
    run = _Run(flow, conversation, now, slots)
    if isinstance(event, Signal):
        run.data.setdefault("vars", {}).update(dict(event.values))
        run.reason = f"signal {event.name}"
        return run.result() if run.fire(event.name) else unchanged
    if isinstance(event, Timeout):
        due = conversation.timeout_at
        if due is None or _ms(event.due_at) != due or now < due:
            return unchanged  # stale or early: the conversation moved on
        run.reason = "no answer before the timeout"
        return run.result() if run.fire(TRIGGER_TIMEOUT) else unchanged
    replies = event.replies if isinstance(event, Burst) else (event,)
    if not replies:
        return unchanged
    decision = _read(flow, run, replies)
    if decision.intent == UNKNOWN or not run.fire(decision.intent):
        run.fall_back(decision)
    return run.result()


def _read(flow: CompiledFlow, run: _Run, replies: Sequence[Reply]) -> Decision:
    """Classify the replies in the run's current state and record the decision."""
    decision = _pick(run, replies) or _decide(flow, run, replies)
    run.decision = decision
    run.also_confirms = also_confirms(
        flow.understanding,
        [r.text for r in replies],
        decision,
        accepted=flow.accepted.get(run.state, frozenset()),
        menu=flow.spec.states[run.state].menu,
        state=run.state,
    )
    run.data["last_reply_at"] = run.now.isoformat()
    record = DecisionRecord(
        at=run.now.isoformat(),
        state=run.state,
        intent=decision.intent,
        rule=decision.rule,
        reason=decision.reason,
    )
    run.data["decisions"] = [*run.data.get("decisions", []), record][-_KEEP_DECISIONS:]
    return decision


def _after_end(flow: CompiledFlow, conversation: Conversation, event: Event, now: datetime) -> Step:
    """A message after the conversation ended goes where the terminal state's ``later`` says.

    When that state waits for a reply and the message already answers it (the patient
    tapped "Desmarcar" after confirming), the answer is taken; otherwise the state is
    entered, and its message says where things stand and what can be done next.
    A conversation stopped from outside (the clinic moved the appointment) stays quiet.
    """
    unchanged = Step(conversation, (), None, changed=False)
    if isinstance(event, Timeout | Signal):
        return unchanged  # only a patient's message reopens a finished conversation
    replies = event.replies if isinstance(event, Burst) else (event,)
    if not replies or "stopped" in conversation.data:
        return unchanged
    run = _Run(flow, conversation, now)
    run.status = ConversationStatus.ACTIVE
    run.data.pop("handed_off", None)  # a new hand-off is the later state's own decision
    run.reason = "a message after the conversation ended"
    for transition in flow.table.get((run.state, TRIGGER_LATER), ()):
        ctx = run.context()
        if not all(bool(check(ctx)) == want for check, want in transition.conditions):
            continue
        for name, action in transition.actions:
            run.act(name, action, ctx)
        later = flow.spec.states[transition.dest]
        if later.waits:
            run.state = transition.dest
            decision = _read(flow, run, replies)
            if decision.intent != UNKNOWN and run.fire(decision.intent):
                return run.result()
        run.enter(transition.dest)
        return run.result()
    return unchanged
