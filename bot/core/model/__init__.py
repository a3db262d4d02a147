"""The domain's plain data, one module per aggregate: frozen dataclasses and enums.

Adapters translate them to and from storage documents; ports and services
exchange them.
"""

from bot.core.model.api import ApiToken, IdempotencyRecord, Operation
from bot.core.model.appointments import Appointment, AppointmentStatus
from bot.core.model.cancellations import Cancellation
from bot.core.model.conversation_data import (
    ConversationData,
    DecisionRecord,
    chose_to_keep,
    decisions_of,
    erased_data,
    handed_back,
    stopped_data,
    with_decisions,
)
from bot.core.model.conversations import (
    Conversation,
    ConversationStatus,
    erased,
    handed_to_staff,
    settled,
)
from bot.core.model.kinds import MessageKind, is_reminder
from bot.core.model.messages import InboundMessage, StatusEvent
from bot.core.model.outbox import (
    DeadLetter,
    EmailDeliveryState,
    OutboxChanges,
    OutboxEntry,
    OutboxState,
)
from bot.core.model.sending import (
    OutboundMessage,
    ProviderMessage,
    RateSlot,
    SendOutcome,
    SendResult,
)
from bot.core.model.slots import (
    FREED_PREFIX,
    Reschedule,
    RescheduleState,
    Slot,
    SlotQuery,
    SlotState,
)
from bot.core.model.waitlist import (
    CandidateQuery,
    OfferState,
    Opening,
    OpeningState,
    WaitlistEntry,
    WaitlistOffer,
)

__all__ = [
    "FREED_PREFIX",
    "ApiToken",
    "Appointment",
    "AppointmentStatus",
    "Cancellation",
    "CandidateQuery",
    "Conversation",
    "ConversationData",
    "ConversationStatus",
    "DeadLetter",
    "DecisionRecord",
    "EmailDeliveryState",
    "IdempotencyRecord",
    "InboundMessage",
    "MessageKind",
    "OfferState",
    "Opening",
    "OpeningState",
    "Operation",
    "OutboundMessage",
    "OutboxChanges",
    "OutboxEntry",
    "OutboxState",
    "ProviderMessage",
    "RateSlot",
    "Reschedule",
    "RescheduleState",
    "SendOutcome",
    "SendResult",
    "Slot",
    "SlotQuery",
    "SlotState",
    "StatusEvent",
    "WaitlistEntry",
    "WaitlistOffer",
    "chose_to_keep",
    "decisions_of",
    "erased",
    "erased_data",
    "handed_back",
    "handed_to_staff",
    "is_reminder",
    "settled",
    "stopped_data",
    "with_decisions",
]
