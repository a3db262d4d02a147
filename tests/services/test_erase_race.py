"""An LGPD erasure landing while a turn is deciding: the turn must not undo it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.adapters.memory import MemoryQueue, MemoryStore
from bot.core.model import ConversationStatus, OutboxState, erased_data
from bot.core.phones import variants
from bot.core.ports import InboundMessage
from tests.builders import appointment
from tests.services.test_conversations import PHONE, SENDER, T0, _cancelled_and_closed, _service

SUBJECT = "erased:0123456789abcdef01234567"


class ErasedWhileDeciding(MemoryStore):
    """The in-memory store, where the patient is erased the moment a turn begins to save.

    The erasure commits between the turn's read and its transaction (the race in
    production: ``digitaly patients erase`` runs while a reply is being decided).
    """

    racing = "SM1"  # the message whose turn the erasure races (a class attribute: the
    # transaction snapshots every instance attribute as a repository)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryStore]:
        pending = await self.inbound.unprocessed_for(PHONE)
        if any(m.sid == self.racing for m in pending):  # that reply's turn is saving
            await self.conversations.erase(variants(PHONE), SUBJECT, T0)
        async with super().transaction() as tx:
            yield tx


async def test_a_turn_that_read_before_the_erasure_does_not_write_the_patient_back() -> None:
    store, queue = ErasedWhileDeciding(), MemoryQueue()
    service = _service(store, queue)
    await service.start("c1", "confirmation", [appointment()])
    [reminder] = queue.sends
    started = await store.conversations.get("c1")
    assert started is not None
    assert await store.outbox.update(
        reminder, OutboxState.PENDING, state=OutboxState.SENT, provider_sid="SMreminder"
    )
    message = InboundMessage(
        sid="SM1",
        phone=PHONE,
        body="Confirmar",
        received_at=T0,
        to=SENDER,
        button_payload="confirm",
        replied_to="SMreminder",  # names c1: the retry finds it by id, erased
    )
    assert await store.inbound.add(message)

    await service.process(message)

    erased = await store.conversations.get("c1")
    assert erased is not None
    # Only what the erasure keeps of the data as read before the turn: the turn wrote nothing.
    assert (erased.phone, erased.data, erased.version) == (
        SUBJECT,
        erased_data(started.data),
        1,
    )
    assert "vars" not in erased.data
    assert (erased.state, erased.status) == (started.state, ConversationStatus.DONE)
    assert queue.sends == [reminder]  # nothing said to the erased number
    assert not await store.inbound.unprocessed_for(PHONE)


class _ErasedOnTheFourth(ErasedWhileDeciding):
    racing = "SM4"


async def test_an_ended_conversation_erased_mid_turn_is_not_reopened() -> None:
    # A tap on an ended conversation's old button reopens it (its ``later`` state); erased
    # meanwhile, it must stay ended and say nothing to the erased number.
    store, queue = _ErasedOnTheFourth(), MemoryQueue()
    service = _service(store, queue)
    await _cancelled_and_closed(service, store)
    reminder = await store.outbox.get(queue.sends[0])
    assert reminder is not None
    assert await store.outbox.update(
        reminder.key, OutboxState.PENDING, state=OutboxState.SENT, provider_sid="SMreminder"
    )
    ended = await store.conversations.get("c1")
    assert ended is not None
    sent_before = list(queue.sends)
    message = InboundMessage(
        sid="SM4",
        phone=PHONE,
        body="Confirmar",
        received_at=T0,
        to=SENDER,
        button_payload="confirm",
        replied_to="SMreminder",
    )
    assert await store.inbound.add(message)

    await service.process(message)

    erased = await store.conversations.get("c1")
    assert erased is not None
    assert (erased.phone, erased.data, erased.version) == (
        SUBJECT,
        erased_data(ended.data),
        ended.version + 1,
    )
    assert (erased.state, erased.status) == (ended.state, ConversationStatus.DONE)
    assert queue.sends == sent_before
    assert not await store.inbound.unprocessed_for(PHONE)
