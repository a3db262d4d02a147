"""The repositories together, and a transaction spanning them."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from bot.core.ports.api import IdempotencyRepository, OperationRepository, TokenRepository
from bot.core.ports.appointments import AppointmentRepository
from bot.core.ports.cancellations import CancellationRepository
from bot.core.ports.conversations import ConversationRepository
from bot.core.ports.flows import FlowVersionRepository
from bot.core.ports.inbound import InboundRepository
from bot.core.ports.outbox import DeadLetterRepository, OutboxRepository, StatusRepository
from bot.core.ports.pauses import SenderPauseRepository
from bot.core.ports.reschedules import RescheduleRepository
from bot.core.ports.slots import SlotRepository
from bot.core.ports.suppressions import SuppressionRepository
from bot.core.ports.waitlist import WaitlistRepository

__all__ = ["Store"]


class Store(Protocol):
    """The repositories, and a transaction spanning them."""

    @property
    def appointments(self) -> AppointmentRepository: ...
    @property
    def conversations(self) -> ConversationRepository: ...
    @property
    def inbound(self) -> InboundRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...
    @property
    def statuses(self) -> StatusRepository: ...
    @property
    def cancellations(self) -> CancellationRepository: ...
    @property
    def suppressions(self) -> SuppressionRepository: ...
    @property
    def sender_pauses(self) -> SenderPauseRepository: ...
    @property
    def dead_letters(self) -> DeadLetterRepository: ...
    @property
    def flow_versions(self) -> FlowVersionRepository: ...
    @property
    def tokens(self) -> TokenRepository: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...
    @property
    def operations(self) -> OperationRepository: ...
    @property
    def slots(self) -> SlotRepository: ...
    @property
    def reschedules(self) -> RescheduleRepository: ...
    @property
    def waitlist(self) -> WaitlistRepository: ...

    def transaction(self) -> AbstractAsyncContextManager[Store]:
        """A Store whose writes commit together or not at all."""
        ...
