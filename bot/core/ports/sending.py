"""The outside world of sending: the channel, the task queue, rate limits, the circuit, locks."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from bot.core.model import (
    OutboundMessage,
    ProviderMessage,
    RateSlot,
    SendResult,
)

__all__ = ["CircuitBreaker", "Inbox", "Locks", "Messenger", "RateLimiter", "TaskQueue"]


class Messenger(Protocol):
    """A channel that delivers WhatsApp messages: Twilio, or the simulator."""

    async def send(self, message: OutboundMessage) -> SendResult:
        """One attempt, no retries of its own."""
        ...

    async def find_sent(self, to: str, sender: str, since: datetime) -> list[ProviderMessage]:
        """Messages the provider created for ``to`` from ``sender`` since ``since``."""
        ...


class Inbox(Protocol):
    """The provider's own record of what patients sent (to recover missed webhooks)."""

    async def received(self, to: str, since: datetime) -> list[ProviderMessage]:
        """Messages patients sent to our number ``to`` since ``since``, oldest first."""
        ...


class TaskQueue(Protocol):
    """Hands work to the workers. Losing a hand-off is allowed: the sweeper re-hands."""

    async def enqueue_send(self, key: str) -> None: ...

    async def oldest_unfinished(self) -> datetime | None:
        """When the oldest task not yet finished by a worker was handed out; None if none is."""
        ...


class RateLimiter(Protocol):
    """A per-key send rate shared by every process."""

    async def reserve(self, key: str, max_wait: float) -> RateSlot:
        """Reserve the next slot if it is at most ``max_wait`` seconds away."""
        ...

    async def admit(self, key: str, ticket: str) -> float:
        """Count send ``ticket`` (unique per attempt) from now if there is room (0.0); else the
        seconds until there may be. It counts while in flight and for a second after ``finished``."""
        ...

    async def finished(self, key: str, ticket: str) -> None:
        """The admitted send ``ticket`` has its answer: it counts for one more second."""
        ...


class CircuitBreaker(Protocol):
    """Stops sending for a while when the provider keeps failing."""

    async def open_for(self) -> float:
        """Seconds until sends may be tried again; 0 when closed."""
        ...

    async def record(self, ok: bool) -> None:
        """Count one attempt's result: enough failures in a row open the circuit."""
        ...


class Locks(Protocol):
    """Advisory per-key locks shared by every process (an optimisation, never the guarantee)."""

    def hold(self, name: str, ttl_ms: int = 30_000) -> AbstractAsyncContextManager[bool]:
        """Yield True when the caller holds ``name``, False when another holder has it."""
        ...
