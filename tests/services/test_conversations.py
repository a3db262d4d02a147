"""The conversation service over the in-memory store and locks: no server needed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.adapters.flow_files import FlowDirectory
from bot.adapters.memory import MemoryLocks, MemoryQueue, MemoryStore
from bot.core.consent import ConsentWords
from bot.core.events import Unit
from bot.core.outbox import OPT_OUT_KIND
from bot.core.ports import InboundMessage
from bot.services.conversations import ConversationService, UnitInfo
from tests.builders import appointment

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PHONE = "+5511987654321"
SENDER = "whatsapp:+5511930000001"


def _service(
    store: MemoryStore, queue: MemoryQueue, clock: Callable[[], datetime] = lambda: T0
) -> ConversationService:
    flows = FlowDirectory(ROOT / "flows")
    flows.reload()
    unit = UnitInfo(Unit("Centro", "Rua A, 1", "America/Sao_Paulo"), SENDER)
    return ConversationService(
        store=store,
        flows=flows,
        queue=queue,
        locks=MemoryLocks(),
        units={"centro": unit},
        clock=clock,
        consent=ConsentWords(opt_out_words=frozenset({"sair"}), opt_out_message="Pronto."),
    )


async def _says(
    service: ConversationService,
    store: MemoryStore,
    sid: str,
    body: str,
    button: str | None = None,
    at: datetime = T0,
) -> None:
    message = InboundMessage(
        sid=sid, phone=PHONE, body=body, received_at=at, to=SENDER, button_payload=button
    )
    assert await store.inbound.add(message)
    await service.process(message)


async def test_sair_without_a_conversation_suppresses_and_confirms() -> None:
    store, queue = MemoryStore(), MemoryQueue()
    service = _service(store, queue)
    await _says(service, store, "SM1", "Sair")
    assert await store.suppressions.is_suppressed(PHONE)
    entry = await store.outbox.get("opt_out:SM1")
    assert entry is not None
    assert (entry.kind, entry.text, entry.sender) == (OPT_OUT_KIND, "Pronto.", SENDER)
    assert queue.sends == ["opt_out:SM1"]
    assert not await store.inbound.unprocessed_for(PHONE)


async def test_other_words_without_a_conversation_are_left_for_staff() -> None:
    store, queue = MemoryStore(), MemoryQueue()
    await _says(_service(store, queue), store, "SM1", "oi, tudo bem?")
    assert not await store.suppressions.is_suppressed(PHONE)
    assert queue.sends == []
    assert not await store.inbound.unprocessed_for(PHONE)


async def _cancelled_and_closed(service: ConversationService, store: MemoryStore) -> None:
    """The issue's path: Desmarcar -> Sim, desmarcar -> Não, obrigado: the conversation ends."""
    await service.start("c1", "confirmation", [appointment()])
    await _says(service, store, "SM1", "Desmarcar", button="cancel")
    await _says(service, store, "SM2", "Sim, desmarcar", button="cancel_yes")
    await _says(service, store, "SM3", "Não, obrigado", button="offer_no")
    ended = await store.conversations.get("c1")
    assert ended is not None
    assert (ended.state, ended.status.value) == ("closed", "done")


async def test_an_old_button_after_the_end_gets_an_answer() -> None:
    store, queue = MemoryStore(), MemoryQueue()
    service = _service(store, queue)
    await _cancelled_and_closed(service, store)
    before = len(queue.sends)
    await _says(service, store, "SM4", "Confirmar", button="confirm")
    answers = [await store.outbox.get(key) for key in queue.sends[before:]]
    assert [a.text for a in answers if a is not None] == [
        "Conceição, sua consulta de quarta-feira, 2 de dezembro, às 09:00 já foi desmarcada. "
        "Quer que nossa equipe entre em contato para remarcar? Responda 1 para sim ou 2 para não."
    ]
    reopened = await store.conversations.get("c1")
    assert reopened is not None
    assert (reopened.state, reopened.status.value) == ("after_cancelled", "active")
    assert not await store.inbound.unprocessed_for(PHONE)


async def test_past_the_window_a_later_message_is_left_for_staff() -> None:
    store, queue = MemoryStore(), MemoryQueue()
    now = [T0]
    service = _service(store, queue, clock=lambda: now[0])
    await _cancelled_and_closed(service, store)
    before = len(queue.sends)
    now[0] = T0 + service.later_window + timedelta(minutes=1)
    await _says(service, store, "SM4", "oi", at=now[0])
    assert queue.sends[before:] == []
    ended = await store.conversations.get("c1")
    assert ended is not None
    assert ended.status.value == "done"
    assert not await store.inbound.unprocessed_for(PHONE)


async def test_sair_after_the_end_still_opts_out() -> None:
    store, queue = MemoryStore(), MemoryQueue()
    service = _service(store, queue)
    await _cancelled_and_closed(service, store)
    await _says(service, store, "SM4", "sair")
    assert await store.suppressions.is_suppressed(PHONE)
    assert queue.sends[-1] == "opt_out:SM4"
