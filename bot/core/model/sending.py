"""One send, as a Messenger sees it: the message, its result, the provider's record, a rate slot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = ["OutboundMessage", "ProviderMessage", "RateSlot", "SendOutcome", "SendResult"]


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """What a Messenger is asked to send (one outbox entry, resolved)."""

    key: str  # our outbox key; travels in the status callback URL
    to: str  # E.164
    sender: str  # whatsapp:+55...
    text: str
    content_sid: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    buttons: tuple[tuple[str, str], ...] = ()
    # Offered as a WhatsApp list (id, item, description) when it can be; ``text`` otherwise.
    choices: tuple[tuple[str, str, str], ...] = ()
    valid_for_seconds: int | None = None  # Twilio ValidityPeriod: never deliver a stale reminder


class SendOutcome(StrEnum):
    ACCEPTED = "accepted"  # the provider took it: we have its sid
    REJECTED = "rejected"  # the provider refused it: nothing was created
    UNKNOWN = "unknown"  # the request left and no answer came back: it may exist


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: SendOutcome
    provider_sid: str | None = None
    error_code: int | None = None
    http_status: int | None = None
    retry_after: float | None = None  # seconds, from Retry-After
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ProviderMessage:
    """A message as the provider lists it (for reconciling unknown outcomes)."""

    sid: str
    to: str
    sender: str
    created_at: datetime
    body: str = ""
    media_count: int = 0


@dataclass(frozen=True, slots=True)
class RateSlot:
    """A rate limiter's answer: send after ``wait`` seconds if ``granted``, else ask again then."""

    granted: bool
    wait: float = 0.0
