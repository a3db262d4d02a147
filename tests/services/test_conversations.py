"""The conversation service over the in-memory store and locks: no server needed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.flow_files import FlowDirectory
from bot.adapters.memory import MemoryLocks, MemoryQueue, MemoryStore
from bot.core.consent import ConsentWords
from bot.core.events import Unit
from bot.core.outbox import OPT_OUT_KIND
from bot.core.ports import InboundMessage
from bot.services.conversations import ConversationService, UnitInfo

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PHONE = "+5511987654321"
SENDER = "whatsapp:+5511930000001"


def _service(store: MemoryStore, queue: MemoryQueue) -> ConversationService:
    flows = FlowDirectory(ROOT / "flows")
    flows.reload()
    unit = UnitInfo(Unit("Centro", "Rua A, 1", "America/Sao_Paulo"), SENDER)
    return ConversationService(
        store=store,
        flows=flows,
        queue=queue,
        locks=MemoryLocks(),
        units={"centro": unit},
        clock=lambda: T0,
        consent=ConsentWords(opt_out_words=frozenset({"sair"}), opt_out_message="Pronto."),
    )


async def _says(service: ConversationService, store: MemoryStore, sid: str, body: str) -> None:
    message = InboundMessage(sid=sid, phone=PHONE, body=body, received_at=T0, to=SENDER)
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
