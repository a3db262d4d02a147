"""What reaches us from the provider: patients' messages and delivery status callbacks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["InboundMessage", "StatusEvent"]


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message a patient sent, stored before anything else happens to it."""

    sid: str  # Twilio's MessageSid: the dedupe key
    phone: str  # E.164
    body: str
    received_at: datetime
    button_payload: str | None = None
    media_count: int = 0
    channel: str = "whatsapp"
    to: str = ""  # our number the patient wrote to (whatsapp:+55...): replies go from it
    processed_at: datetime | None = None
    # The provider sid of our message this one answers (Twilio's OriginalRepliedMessageSid):
    # a reply or a button tap acts on that message's conversation, not the newest one.
    replied_to: str | None = None
    # The sender's WhatsApp id when it is not a phone number (Meta's business-scoped user
    # id), kept as received; ``phone`` is then empty and a person handles the message.
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """One status callback from the provider, kept as received (append-only)."""

    sid: str
    status: str
    received_at: datetime
    key: str | None = None  # our outbox key, from the callback URL
    error_code: int | None = None
