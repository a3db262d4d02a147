"""In-memory stand-ins for the sending ports: a scripted messenger, a limiter, a breaker."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.adapters.twilio import TwilioMessenger
from bot.core.model import OutboxState
from bot.core.ports import (
    OutboundMessage,
    ProviderMessage,
    RateSlot,
    SendOutcome,
    SendResult,
    Store,
)
from bot.services.outbox import send_entry
from bot.settings import Settings

__all__ = ["MemoryBreaker", "MemoryLimiter", "ScriptedMessenger", "send_to_twilio"]


async def send_to_twilio(key: str, store: Store, settings: Settings) -> OutboxState | None:
    """Send one outbox entry through the real Twilio client to ``settings``' API base."""
    messenger = TwilioMessenger(settings)
    try:
        return await send_entry(
            key,
            store=store,
            messenger=messenger,
            limiter=MemoryLimiter(),
            breaker=MemoryBreaker(),
            settings=settings,
            clock=lambda: datetime.now(UTC),
        )
    finally:
        await messenger.aclose()


@dataclass
class ScriptedMessenger:
    """Answers each send with the next planned result (ACCEPTED when none is planned).

    ``created`` holds what the provider would have: accepted sends and, with
    ``create=True`` on a planned result, unknown ones.
    """

    planned: list[tuple[SendResult, bool]] = field(default_factory=list)
    sent: list[OutboundMessage] = field(default_factory=list)
    created: list[ProviderMessage] = field(default_factory=list)
    now: datetime | None = None
    raise_next: Exception | None = None

    def plan(self, result: SendResult, *, create: bool = False) -> None:
        self.planned.append((result, create))

    async def send(self, message: OutboundMessage) -> SendResult:
        self.sent.append(message)
        if self.raise_next is not None:
            error, self.raise_next = self.raise_next, None
            raise error
        result, create = self.planned.pop(0) if self.planned else (None, True)
        sid = f"SM{len(self.sent)}"
        if create:
            assert self.now is not None
            self.created.append(
                ProviderMessage(sid, message.to, message.sender, self.now, message.text)
            )
        if result is None:
            return SendResult(SendOutcome.ACCEPTED, provider_sid=sid)
        return result

    async def find_sent(self, to: str, sender: str, since: datetime) -> list[ProviderMessage]:
        return [
            m for m in self.created if m.to == to and m.sender == sender and m.created_at >= since
        ]


@dataclass
class MemoryLimiter:
    """Grants everything, or answers with ``next_slot`` once; admits after the ``admit_waits``."""

    next_slot: RateSlot | None = None
    admit_waits: list[float] = field(default_factory=list)
    finished_tickets: list[str] = field(default_factory=list)

    async def reserve(self, key: str, max_wait: float) -> RateSlot:
        slot, self.next_slot = self.next_slot or RateSlot(True, 0.0), None
        return slot

    async def admit(self, key: str, ticket: str) -> float:
        return self.admit_waits.pop(0) if self.admit_waits else 0.0

    async def finished(self, key: str, ticket: str) -> None:
        self.finished_tickets.append(ticket)


@dataclass
class MemoryBreaker:
    opened_for: float = 0.0
    results: list[bool] = field(default_factory=list)

    async def open_for(self) -> float:
        return self.opened_for

    async def record(self, ok: bool) -> None:
        self.results.append(ok)
