"""Conversation turns: load, step the pure engine, save state and effects together.

A patient's messages are stored first (deduped on MessageSid), then drained in
arrival order by whichever process holds that patient's lock. Each turn is one
transaction: the new conversation (conditional on its version), the outbox
entries, appointment changes, cancellations, suppressions, and the messages
marked processed. A version conflict is retried from a fresh read; a crash
leaves the messages unprocessed for the recovery scan.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import metrics
from bot.clock import Clock
from bot.core import engine
from bot.core.consent import ConsentWords, consent_change
from bot.core.effects import HoldSlot
from bot.core.errors import ConflictError
from bot.core.events import Burst, Event, Reply, Signal, Timeout
from bot.core.machine import CompiledFlow
from bot.core.model import (
    Appointment,
    Conversation,
    ConversationData,
    ConversationStatus,
    MessageKind,
    settled,
    stopped_data,
)
from bot.core.phones import variants
from bot.core.ports import FlowCatalog, InboundMessage, Locks, OutboxEntry, Store, TaskQueue
from bot.core.render import Rendered
from bot.services.effects import apply_effects
from bot.services.outside import flow_of, outside_any
from bot.services.rescheduling import SlotOffers
from bot.services.routing import answered_conversation, batches, leave_for_a_person
from bot.services.units import UnitInfo, answering_sender, unit_info

__all__ = ["ConversationService", "UnitInfo"]

log = logging.getLogger(__name__)

_CONFLICT_RETRIES = 30


async def _back_off(attempt: int) -> None:
    """A random pause growing with each attempt, so conflicting writers stop colliding in lockstep."""
    await asyncio.sleep(random.uniform(0, min(0.5, 0.01 * 2**attempt)))


_LOCK_POLL_SECONDS = 0.02
_DRAIN_DEADLINE_SECONDS = 30.0


@dataclass
class ConversationService:
    """Runs conversation turns over the ports; one instance per process."""

    store: Store
    flows: FlowCatalog
    queue: TaskQueue
    locks: Locks
    units: Mapping[str, UnitInfo]
    clock: Clock
    burst_window: timedelta = timedelta(seconds=3)
    # How long a finished conversation still answers a later message (its ``later`` state);
    # past this, a message is one for staff, as with no conversation at all.
    later_window: timedelta = timedelta(days=3)
    consent: ConsentWords = field(default_factory=ConsentWords)
    slots: SlotOffers | None = None  # free times to offer; None: rescheduling goes to a person
    _saved_versions: set[tuple[str, str]] = field(default_factory=set, init=False, repr=False)

    # --- starting -----------------------------------------------------------------------

    async def start(
        self,
        conversation_id: str,
        flow_name: str,
        appointments: Sequence[Appointment],
        data: ConversationData | None = None,
    ) -> Conversation | None:
        """Begin a conversation (its first message: the reminder) for these appointments.

        Idempotent on ``conversation_id``: a second call creates nothing and sends nothing.
        Returns the new conversation, or None when it existed already.
        """
        if await self.store.conversations.get(conversation_id) is not None:
            return None  # claimed before (another scheduler, or a rerun)
        first = appointments[0]
        info = self._unit(first.unit)
        now = self.clock()
        flow = self.flows.current(flow_name)
        if (flow.name, flow.version) not in self._saved_versions:
            # Kept so the conversation finishes on this version even after the file changes.
            await self.store.flow_versions.save(flow.name, flow.version, flow.source)
            self._saved_versions.add((flow.name, flow.version))
        result = engine.start(
            flow,
            conversation_id=conversation_id,
            phone=first.phone,
            appointments=appointments,
            unit=info.unit,
            now=now,
            data=data,
        )
        for attempt in range(_CONFLICT_RETRIES):
            try:
                async with self.store.transaction() as tx:
                    if not await tx.conversations.create(result.conversation):
                        return None
                    keys = await apply_effects(
                        tx, result.conversation, result.effects, info.sender, now
                    )
            except ConflictError:
                await _back_off(attempt)  # a twin scheduler is creating it: look again
                if await self.store.conversations.get(conversation_id) is not None:
                    return None
                continue
            await self._hand_off(keys)
            return result.conversation
        raise ConflictError(f"conversation {conversation_id} could not be created")

    # --- replies ------------------------------------------------------------------------

    async def process(self, message: InboundMessage) -> None:
        """Apply ``message`` (already stored) and any earlier ones from the same patient, in order.

        Whoever holds the patient's lock drains every pending message; the others
        wait until theirs is processed or the lock is free. Past the deadline the
        recovery scan finishes the job.
        """
        if message.user_id:
            await leave_for_a_person(self.store, message, self.clock)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _DRAIN_DEADLINE_SECONDS
        while loop.time() < deadline:
            async with self.locks.hold(f"phone:{message.phone}") as mine:
                if mine:
                    await self._drain(message.phone)
                    return
            await asyncio.sleep(_LOCK_POLL_SECONDS)
            if not any(
                m.sid == message.sid
                for m in await self.store.inbound.unprocessed_for(message.phone)
            ):
                return

    async def read_unanswered(
        self, conversation: Conversation, messages: list[InboundMessage]
    ) -> None:
        """Read, as one answer, messages that arrived while a person had ``conversation``
        (they were stored then, not read by the bot); staff just gave it back."""
        phone = conversation.phone
        if not messages:
            return
        async with self.locks.hold(f"phone:{phone}") as mine:
            if not mine:
                raise ConflictError("the patient's messages are being read right now")
            await self._turn(phone, messages, conversation.id)

    async def _drain(self, phone: str) -> None:
        # Once: a message stored meanwhile has its own caller, waiting for this lock.
        pending = await self.store.inbound.unprocessed_for(phone)
        targets = [await answered_conversation(self.store, m) for m in pending]
        for target, group in batches(pending, targets, self.burst_window):
            await self._turn(phone, group, target)

    async def _conversation_for(self, phone: str, target: str | None) -> Conversation | None:
        """The conversation the message answers if it names one; else the number's default.

        An answered one that has ended still takes it (its ``later`` state says where things
        stand): a tap on a finished reminder is never handed to another appointment's.
        """
        if target is not None and (found := await self.store.conversations.get(target)):
            return found
        return await self.store.conversations.active_for_phone(variants(phone))

    async def _turn(self, phone: str, messages: list[InboundMessage], target: str | None) -> None:
        replies = tuple(
            Reply(
                message_id=m.sid,
                received_at=m.received_at,
                text=m.body,
                button_id=m.button_payload,
                media_count=m.media_count,
            )
            for m in messages
        )
        event = replies[0] if len(replies) == 1 else Burst(replies)
        for attempt in range(_CONFLICT_RETRIES):
            conversation = await self._conversation_for(phone, target)
            now = self.clock()
            if conversation is None:
                conversation = await self._finished(messages, now)
            if conversation is None:
                await self._without_conversation(messages, now)
                return
            result = await self._step(conversation, event, now)
            if not result.changed and conversation.status is ConversationStatus.DONE:
                await self._without_conversation(messages, now)
                return
            if not await self._commit(conversation, result, now, processed=messages):
                await _back_off(attempt)  # someone else moved it: decide again on fresh state
                continue
            if result.decision is not None:
                log.info(
                    "reply decided",
                    extra={
                        "conversation": conversation.id,
                        "intent": result.decision.intent,
                        "rule": result.decision.rule,
                        "state": result.conversation.state,
                    },
                )
            await self._hold(result)
            return
        raise ConflictError(f"conversation for message {messages[0].sid} kept changing")

    async def _finished(self, messages: list[InboundMessage], now: datetime) -> Conversation | None:
        """The conversation that ended lately, which answers a later message; None when the
        message is an opt-out/opt-in word (those act as with no conversation) or none fits."""
        last = messages[-1]
        if consent_change(last.body, last.sid, self.consent) is not None:
            return None
        latest = await self.store.conversations.latest_for_phone(variants(last.phone))
        if latest is None or latest.status is not ConversationStatus.DONE:
            return None
        return latest if now - latest.updated_at <= self.later_window else None

    async def _without_conversation(self, messages: list[InboundMessage], now: datetime) -> None:
        """No conversation running: only the opt-out / opt-in words act; the rest is left for staff."""
        default_sender = next(iter(self.units.values())).sender
        await self._hand_off(
            await outside_any(self.store, self.consent, messages, now, default_sender)
        )

    async def _commit(
        self,
        before: Conversation,
        result: engine.Step,
        now: datetime,
        processed: Sequence[InboundMessage] = (),
    ) -> bool:
        """Write a step and its effects in one transaction, then hand off its sends.

        False on a version conflict: nothing was written, the caller decides again.
        """
        sender = await self._sender(before, processed) if result.effects else ""
        try:
            async with self.store.transaction() as tx:
                if result.changed:
                    await tx.conversations.save(result.conversation, before)
                keys = await apply_effects(tx, result.conversation, result.effects, sender, now)
                for message in processed:
                    await tx.inbound.mark_processed(message.sid, now)
        except ConflictError:
            return False
        if result.changed:
            metrics.TRANSITIONS.labels(result.conversation.flow, result.conversation.state).inc()
        await self._hand_off(keys)
        return True

    # --- timeouts -----------------------------------------------------------------------

    async def time_out(self, conversation: Conversation) -> bool:
        """Fire the conversation's timeout if it is still due; True if it moved."""
        if conversation.timeout_at is None:
            return False
        event = Timeout(due_at=conversation.timeout_at)
        return await self._step_stored(conversation.id, event, offer_times=False)

    async def _hold(self, result: engine.Step) -> None:
        """Hold a picked time (after the pick is saved), and tell the conversation how it went."""
        for effect in result.effects:
            if isinstance(effect, HoldSlot) and self.slots is not None:
                outcome = await self.slots.hold(result.conversation, effect.slot_id)
                await self.signal(result.conversation.id, outcome, holding=effect.slot_id)

    async def signal(
        self, conversation_id: str, signal: Signal, *, holding: str | None = None
    ) -> bool:
        """Apply a signal (a hold's or the robot's outcome); True if the conversation moved.

        With ``holding``, only while the conversation still waits on that slot: a late or
        repeated outcome of an earlier move changes nothing.
        """
        return await self._step_stored(
            conversation_id,
            signal,
            offer_times=True,
            still=lambda current: not holding or current.data.get("holding") == holding,
        )

    async def _step_stored(
        self,
        conversation_id: str,
        event: Timeout | Signal,
        *,
        offer_times: bool,
        still: Callable[[Conversation], bool] = lambda _: True,
    ) -> bool:
        """Step the stored conversation with ``event``, from a fresh read after a conflict,
        while it exists and ``still`` holds; True if it moved. ``offer_times``: with the
        free slots (a signal may lead to offering times; a timeout never reads them)."""
        for attempt in range(_CONFLICT_RETRIES):
            current = await self.store.conversations.get(conversation_id)
            if current is None or not still(current):
                return False
            now = self.clock()
            result = (
                await self._step(current, event, now)
                if offer_times
                else engine.step(await self._flow(current), current, event, now)
            )
            if not result.changed:
                return False
            if await self._commit(current, result, now):
                return True
            await _back_off(attempt)
        return False

    async def stop(self, conversation: Conversation, reason: str) -> bool:
        """End a conversation from outside (the clinic cancelled or moved the appointment)."""
        for _attempt in range(_CONFLICT_RETRIES):
            current = await self.store.conversations.get(conversation.id)
            if current is None or current.status is ConversationStatus.DONE:
                return False
            data = stopped_data(current.data, reason)
            stopped = settled(current, ConversationStatus.DONE, data, self.clock())
            try:
                await self.store.conversations.save(stopped)
            except ConflictError:
                continue
            log.info("conversation stopped", extra={"conversation": current.id, "reason": reason})
            return True
        return False

    async def send_notice(self, key: str, appointment: Appointment, notice: Rendered) -> bool:
        """Queue one notice to an appointment's patient (its template if it has one), once per ``key``."""
        info = self._unit(appointment.unit)
        entry = OutboxEntry(
            key=key,
            conversation_id=None,
            phone=appointment.phone,
            sender=info.sender,
            kind=MessageKind.NOTICE,
            text=notice.text,
            created_at=self.clock(),
            content_sid=notice.content_sid,
            variables=notice.variables,
            buttons=notice.buttons,
        )
        if not await self.store.outbox.add(entry):
            return False
        await self._hand_off([key])
        return True

    # --- effects ------------------------------------------------------------------------

    async def _hand_off(self, keys: list[str]) -> None:
        """Give new outbox entries to the workers; a lost hand-off is re-done by the sweeper."""
        for key in keys:
            try:
                await self.queue.enqueue_send(key)
            except Exception as exc:
                log.warning(
                    "could not queue a send; the sweeper will", extra={"error": type(exc).__name__}
                )

    # --- lookups ------------------------------------------------------------------------

    async def _step(self, conversation: Conversation, event: Event, now: datetime) -> engine.Step:
        """``engine.step``, reading the free times (up to three queries) only for a step that
        offers them: stepped again with them, it decides exactly as if it had had them."""
        flow = await self._flow(conversation)
        result = engine.step(flow, conversation, event, now)
        if result.offered and self.slots is not None:
            free = await self.slots.free_times(conversation)
            result = engine.step(flow, conversation, event, now, free)
        return result

    async def _flow(self, conversation: Conversation) -> CompiledFlow:
        return await flow_of(self.flows, self.store, conversation)

    def _unit(self, key: str) -> UnitInfo:
        return unit_info(self.units, key)

    async def _sender(
        self, conversation: Conversation, replying_to: Sequence[InboundMessage]
    ) -> str:
        return await answering_sender(self.store, self.units, conversation, replying_to)
