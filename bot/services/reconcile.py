"""Recovering patients' messages whose webhook never reached us.

Twilio posts an inbound message once, retries at most once, and then gives up
(error 11200): while our web process is down, every answer is lost unless we
ask. This scan lists, at Twilio, what patients sent to each of our numbers
since the newest message the last scan saw (minus an overlap, for messages
listed late), stores each one the webhook never delivered (the same unique
MessageSid, so a message the webhook did deliver is a duplicate and skipped)
and runs their turns in the order the patients sent them.

What the provider's list gives back is less than the webhook: no
``ButtonPayload`` and no ``OriginalRepliedMessageSid``; a tap arrives as its
button's label. When our recent messages to the patient make that label
unambiguous (:func:`bot.core.taps.recovered_tap`), it is stored as that button,
answering that message, as the webhook would have; otherwise it is read like a
typed answer, by the number's newest conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta

from bot import metrics
from bot.clock import Clock
from bot.core.errors import ValidationError
from bot.core.phones import sender_identity, variants
from bot.core.ports import InboundMessage, Inbox, ProviderMessage, Store
from bot.core.taps import recovered_tap
from bot.services.conversations import ConversationService

__all__ = ["InboundReconciler"]

log = logging.getLogger(__name__)

_FIRST_LOOKBACK = timedelta(hours=24)  # before any cursor: the customer-service window
# How far back a recovered tap's message is looked for: a reminder goes out a day or two
# before the appointment; an older message's label is read as typed text.
_TAP_LOOKBACK = timedelta(days=7)
_MAX_LABEL = 20  # WhatsApp's longest quick-reply title: a longer body was typed


@dataclass
class InboundReconciler:
    store: Store
    inbox: Inbox
    conversations: ConversationService
    senders: tuple[str, ...]  # our WhatsApp numbers (whatsapp:+55...)
    clock: Clock
    overlap: timedelta = timedelta(minutes=10)

    async def run(self) -> int:
        """One scan; the number of messages it recovered (stored and handed to their turn)."""
        cursor = await self.store.inbound.reconciled_until()
        since = (cursor or self.clock() - _FIRST_LOOKBACK) - self.overlap
        listed: list[ProviderMessage] = []
        for sender in self.senders:
            listed += await self.inbox.received(sender, since)
        listed.sort(key=lambda m: (m.created_at, m.sid))
        recovered = await self._store_missing(listed)
        for message in recovered:
            await self.conversations.process(message)
        if listed:
            await self.store.inbound.mark_reconciled(listed[-1].created_at)
        if recovered:
            metrics.INBOUND.labels("recovered").inc(len(recovered))
            log.warning(
                "inbound messages recovered from the provider",
                extra={"count": len(recovered), "listed": len(listed)},
            )
        return len(recovered)

    async def _store_missing(self, listed: Iterable[ProviderMessage]) -> list[InboundMessage]:
        """The listed messages not stored yet, stored now (a delivered one is a duplicate)."""
        stored = []
        for provided in listed:
            message = _inbound(provided)
            if message is None:
                continue
            message = await self._as_tap(message)
            if await self.store.inbound.add(message):
                stored.append(message)
        return stored

    async def _as_tap(self, message: InboundMessage) -> InboundMessage:
        """The message as the button tap it was, when its label says which (see module doc)."""
        if not message.phone or message.media_count or len(message.body) > _MAX_LABEL:
            return message
        sent = await self.store.outbox.sent_with_buttons(
            variants(message.phone), message.received_at - _TAP_LOOKBACK, message.received_at
        )
        tap = recovered_tap(message.body, sent)
        if tap is None:
            return message
        return replace(message, button_payload=tap.button_id, replied_to=tap.replied_to)


def _inbound(provided: ProviderMessage) -> InboundMessage | None:
    try:
        phone, user_id = sender_identity(provided.sender)
    except ValidationError:
        log.warning("listed message with an unreadable sender skipped", extra={"sid": provided.sid})
        return None
    return InboundMessage(
        sid=provided.sid,
        phone=phone,
        body=provided.body,
        received_at=provided.created_at,
        media_count=provided.media_count,
        channel="whatsapp",
        to=provided.to,
        user_id=user_id,
    )
