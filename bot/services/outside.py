"""What a turn needs apart from the conversation itself: a message that belongs to no
conversation, and the flow version a conversation started on."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.core.consent import ConsentWords, consent_change
from bot.core.errors import NotFoundError
from bot.core.machine import CompiledFlow
from bot.core.model import Conversation
from bot.core.phones import variants
from bot.core.ports import FlowCatalog, InboundMessage, OutboxEntry, Store

__all__ = ["flow_of", "outside_any"]

log = logging.getLogger(__name__)


async def outside_any(
    store: Store,
    consent: ConsentWords,
    messages: list[InboundMessage],
    now: datetime,
    default_sender: str,
) -> list[str]:
    """Messages with no conversation to take them: only the opt-out / opt-in words act (the
    suppression list and their answer); every message is marked processed and left for
    staff. The keys of the outbox entries written, for the workers."""
    last = messages[-1]
    change = consent_change(last.body, last.sid, consent)
    keys: list[str] = []
    async with store.transaction() as tx:
        if change is not None:
            if change.opting_out:
                # One entry: every reader matches it under both forms of the number.
                await tx.suppressions.add(last.phone, "patient opted out", now)
            else:
                for phone in variants(last.phone):  # older opt-outs were kept under both
                    await tx.suppressions.remove(phone)
            entry = OutboxEntry(
                key=change.key,
                conversation_id=None,
                phone=last.phone,
                sender=last.to or default_sender,
                kind=change.kind,
                text=change.text,
                created_at=now,
            )
            if await tx.outbox.add(entry):
                keys.append(entry.key)
        for message in messages:
            await tx.inbound.mark_processed(message.sid, now)
    log.info("message without a conversation", extra={"count": len(messages), "acted": bool(keys)})
    return keys


async def flow_of(flows: FlowCatalog, store: Store, conversation: Conversation) -> CompiledFlow:
    """The version the conversation started on, from memory or from storage."""
    try:
        return flows.load_version(conversation.flow, conversation.flow_version)
    except NotFoundError:
        source = await store.flow_versions.source(conversation.flow, conversation.flow_version)
        if source is None:
            raise
        return flows.register_source(source, f"{conversation.flow}@{conversation.flow_version}")
