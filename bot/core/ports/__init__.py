"""Ports: what the services need from storage and the outside world, one module per aggregate.

Adapters implement them (``bot.adapters.mongo``, ``bot.adapters.memory``);
services depend only on these Protocols. The records they exchange live in
:mod:`bot.core.model` and are re-exported here for the callers that import them
with their port.
"""

from bot.core.model import (
    ApiToken,
    Appointment,
    AppointmentStatus,
    Cancellation,
    Conversation,
    ConversationStatus,
    DeadLetter,
    IdempotencyRecord,
    InboundMessage,
    OfferState,
    Opening,
    OpeningState,
    Operation,
    OutboundMessage,
    OutboxEntry,
    OutboxState,
    ProviderMessage,
    RateSlot,
    Reschedule,
    RescheduleState,
    SendOutcome,
    SendResult,
    Slot,
    SlotState,
    StatusEvent,
    WaitlistEntry,
    WaitlistOffer,
)
from bot.core.ports.api import IdempotencyRepository, OperationRepository, TokenRepository
from bot.core.ports.appointments import AppointmentRepository, UpsertOutcome
from bot.core.ports.cancellations import CancellationRepository
from bot.core.ports.conversations import ConversationRepository
from bot.core.ports.flows import FlowCatalog, FlowVersionRepository
from bot.core.ports.inbound import InboundRepository
from bot.core.ports.outbox import DeadLetterRepository, OutboxRepository, StatusRepository
from bot.core.ports.pauses import SenderPause, SenderPauseRepository
from bot.core.ports.reschedules import RescheduleRepository
from bot.core.ports.sending import (
    CircuitBreaker,
    Inbox,
    Locks,
    Messenger,
    RateLimiter,
    TaskQueue,
)
from bot.core.ports.slots import SlotRepository
from bot.core.ports.store import Store
from bot.core.ports.suppressions import SuppressionRepository
from bot.core.ports.throttle import LoginThrottle
from bot.core.ports.waitlist import WaitlistRepository

__all__ = [
    "ApiToken",
    "Appointment",
    "AppointmentRepository",
    "AppointmentStatus",
    "Cancellation",
    "CancellationRepository",
    "CircuitBreaker",
    "Conversation",
    "ConversationRepository",
    "ConversationStatus",
    "DeadLetter",
    "DeadLetterRepository",
    "FlowCatalog",
    "FlowVersionRepository",
    "IdempotencyRecord",
    "IdempotencyRepository",
    "InboundMessage",
    "InboundRepository",
    "Inbox",
    "Locks",
    "LoginThrottle",
    "Messenger",
    "OfferState",
    "Opening",
    "OpeningState",
    "Operation",
    "OperationRepository",
    "OutboundMessage",
    "OutboxEntry",
    "OutboxRepository",
    "OutboxState",
    "ProviderMessage",
    "RateLimiter",
    "RateSlot",
    "Reschedule",
    "RescheduleRepository",
    "RescheduleState",
    "SendOutcome",
    "SendResult",
    "SenderPause",
    "SenderPauseRepository",
    "Slot",
    "SlotRepository",
    "SlotState",
    "StatusEvent",
    "StatusRepository",
    "Store",
    "SuppressionRepository",
    "TaskQueue",
    "TokenRepository",
    "UpsertOutcome",
    "WaitlistEntry",
    "WaitlistOffer",
    "WaitlistRepository",
]
