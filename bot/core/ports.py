"""Ports: what the services need from storage and the outside world.

Adapters implement them (``bot.adapters.mongo``, ``bot.adapters.memory``);
services depend only on these Protocols.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from bot.core.flow_registry import FlowRegistry
from bot.core.machine import CompiledFlow
from bot.core.model import Appointment, AppointmentStatus, Conversation

__all__ = [
    "ApiToken",
    "AppointmentRepository",
    "Cancellation",
    "CancellationRepository",
    "CircuitBreaker",
    "ConversationRepository",
    "DeadLetter",
    "DeadLetterRepository",
    "FlowCatalog",
    "FlowVersionRepository",
    "IdempotencyRecord",
    "IdempotencyRepository",
    "InboundMessage",
    "InboundRepository",
    "Locks",
    "Messenger",
    "Operation",
    "OperationRepository",
    "OutboundMessage",
    "OutboxEntry",
    "OutboxRepository",
    "OutboxState",
    "ProviderMessage",
    "RateLimiter",
    "RateSlot",
    "SendOutcome",
    "SendResult",
    "StatusEvent",
    "StatusRepository",
    "Store",
    "SuppressionRepository",
    "TaskQueue",
    "TokenRepository",
    "UpsertOutcome",
]


class UpsertOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


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


class OutboxState(StrEnum):
    PENDING = "pending"  # written with the state change, not yet handed to a worker
    SENDING = "sending"  # a worker took it
    SENT = "sent"  # the provider accepted it
    UNKNOWN = "unknown"  # the request left and no answer came back: reconcile before any resend
    FAILED = "failed"  # rejected for good
    DEAD = "dead"  # gave up after the retry budget: a person must look


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """Something to send, written in the same transaction as the state change that caused it.

    ``key`` is unique: the same effect produced twice (a replayed webhook, two
    schedulers) is stored once and so sent once.
    """

    key: str
    conversation_id: str | None
    phone: str
    sender: str  # whatsapp:+55...
    kind: str  # reminder, reminder_2, reply, staff ...
    text: str  # rendered text (simulator, logs never see it)
    created_at: datetime
    content_sid: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    buttons: tuple[tuple[str, str], ...] = ()
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    provider_sid: str | None = None
    error_code: int | None = None
    next_attempt_at: datetime | None = None
    # Projected from status callbacks, forward only (queued < sending < sent < delivered < read).
    delivery_status: str | None = None
    delivery_rank: int = 0
    delivery_error_code: int | None = None
    # Sending bookkeeping (bot.services.outbox).
    claimed_at: datetime | None = None  # when the current attempt began: its lease starts here
    kicked_at: datetime | None = None  # when the sweeper last handed it to the queue
    unknown_since: datetime | None = None  # when its outcome became unknown
    expires_at: datetime | None = None  # never deliver after this (a reminder: the appointment)
    failure: str | None = None  # why it ended FAILED or DEAD, in words (no patient data)


class AppointmentRepository(Protocol):
    async def upsert(
        self, appointment: Appointment, *, keep_status: frozenset[AppointmentStatus] = frozenset()
    ) -> UpsertOutcome:
        """Create or update by ``external_id`` (the first id stays; ``reminder_due_at`` is not written).

        The stored status is left alone when it is one of ``keep_status`` (a patient's
        answer the robot must not overwrite); the check happens in the write itself.
        """
        ...

    async def get(self, appointment_id: str) -> Appointment | None: ...
    async def get_by_external_id(self, external_id: str) -> Appointment | None: ...
    async def set_status(self, appointment_id: str, status: AppointmentStatus) -> None: ...
    async def for_phone(self, phone: str) -> list[Appointment]: ...
    async def set_reminder_due(self, appointment_id: str, due_at: datetime | None) -> None: ...
    async def reminders_due(self, now: datetime, limit: int) -> list[Appointment]:
        """Appointments whose reminder is due (``reminder_due_at <= now``), soonest first."""
        ...

    async def between(
        self, start: datetime, end: datetime, unit: str | None = None
    ) -> list[Appointment]:
        """Appointments starting in ``[start, end)`` (of one unit, if given), by start time."""
        ...

    async def status_times(
        self, start: datetime, end: datetime, unit: str | None = None
    ) -> list[tuple[datetime, AppointmentStatus]]:
        """(starts_at, status) of the appointments in ``[start, end)``: the reports' trend."""
        ...


class ConversationRepository(Protocol):
    async def get(self, conversation_id: str) -> Conversation | None: ...
    async def active_for_phone(self, phones: Sequence[str]) -> Conversation | None:
        """The newest conversation not done for any of ``phones`` (the number's variants)."""
        ...

    async def for_appointment(self, appointment_id: str) -> list[Conversation]:
        """Every conversation about this appointment, newest first."""
        ...

    async def for_appointments(self, appointment_ids: Sequence[str]) -> list[Conversation]:
        """Every conversation about any of these appointments, each once (the reports' read)."""
        ...

    async def timed_out(self, now: datetime, limit: int) -> list[Conversation]:
        """Active conversations whose ``timeout_at`` has passed."""
        ...

    async def create(self, conversation: Conversation) -> bool:
        """Insert; False when one with the same id exists already."""
        ...

    async def save(self, conversation: Conversation) -> None:
        """Store ``conversation`` if the stored version is ``conversation.version - 1``.

        Raises ConflictError otherwise: re-read, re-decide, retry.
        """
        ...


class InboundRepository(Protocol):
    async def add(self, message: InboundMessage) -> bool:
        """Insert; False when this MessageSid was stored already (a replay)."""
        ...

    async def mark_processed(self, sid: str, at: datetime) -> None: ...
    async def unprocessed(self, older_than: datetime, limit: int) -> list[InboundMessage]:
        """Messages whose turn never completed, oldest first (for the recovery scan)."""
        ...

    async def unprocessed_for(self, phone: str) -> list[InboundMessage]:
        """One patient's messages still waiting for their turn, in arrival order."""
        ...


class OutboxRepository(Protocol):
    async def add(self, entry: OutboxEntry) -> bool:
        """Insert; False when an entry with this key exists (the effect was recorded before)."""
        ...

    async def get(self, key: str) -> OutboxEntry | None: ...
    async def by_provider_sid(self, sid: str) -> OutboxEntry | None: ...
    async def update(self, key: str, expected: OutboxState, **changes: Any) -> bool:
        """Change fields if the entry is still in ``expected`` state (a compare-and-set)."""
        ...

    async def due(self, now: datetime, handed_before: datetime, limit: int) -> list[OutboxEntry]:
        """Pending entries to hand out again, oldest first: those whose postponed attempt is
        due by ``now``, and those created (first handed out) by ``handed_before``."""
        ...

    async def in_state(self, state: OutboxState, limit: int) -> list[OutboxEntry]:
        """Entries in ``state``, oldest first (the sweeper's scan of sending/unknown ones)."""
        ...

    async def for_conversation(self, conversation_id: str) -> list[OutboxEntry]:
        """One conversation's entries, oldest first (what the robot's status lookup shows)."""
        ...

    async def for_conversations(self, conversation_ids: Sequence[str]) -> list[OutboxEntry]:
        """The entries of any of these conversations, oldest first (the reports' read)."""
        ...


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An outbox entry given up on: a person must look (listed, never deleted by itself)."""

    key: str  # the outbox entry's key
    reason: str
    at: datetime
    attempts: int = 0
    error_code: int | None = None
    kind: str = ""
    conversation_id: str | None = None


class DeadLetterRepository(Protocol):
    async def add(self, letter: DeadLetter) -> bool:
        """Insert; False when this key was dead-lettered already."""
        ...

    async def get(self, key: str) -> DeadLetter | None: ...
    async def newest(self, limit: int) -> list[DeadLetter]:
        """Newest first."""
        ...

    async def remove(self, key: str) -> bool: ...


class SuppressionRepository(Protocol):
    """Numbers that opted out: nothing is sent to them until they opt back in."""

    async def is_suppressed(self, *phones: str) -> bool:
        """True if any of ``phones`` (E.164; pass a number's variants) is suppressed."""
        ...

    async def add(self, phone: str, reason: str, at: datetime) -> bool:
        """Suppress ``phone``; False when it was suppressed already."""
        ...

    async def remove(self, phone: str) -> bool:
        """Lift the suppression (the patient opted back in); False when there was none."""
        ...


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """One status callback from the provider, kept as received (append-only)."""

    sid: str
    status: str
    received_at: datetime
    key: str | None = None  # our outbox key, from the callback URL
    error_code: int | None = None


class StatusRepository(Protocol):
    async def append(self, event: StatusEvent) -> bool:
        """Insert; False when this (sid, status) was recorded already."""
        ...

    async def project(self, event: StatusEvent, rank: int) -> bool:
        """Move the outbox entry's delivery status forward to ``event``'s if ``rank`` is higher."""
        ...


@dataclass(frozen=True, slots=True)
class Cancellation:
    """A cancellation a patient made, waiting for the RPA robot to apply it."""

    id: str
    appointment_id: str
    external_id: str
    requested_at: datetime
    seq: int = 0  # the robot's cursor: increases with every new cancellation
    result: str | None = None  # applied | failed, once acknowledged
    detail: str = ""
    acked_at: datetime | None = None


class CancellationRepository(Protocol):
    async def add(self, cancellation: Cancellation) -> bool:
        """Record one per appointment; False when it was recorded already."""
        ...

    async def for_appointment(self, appointment_id: str) -> Cancellation | None: ...
    async def get(self, cancellation_id: str) -> Cancellation | None: ...
    async def pending_after(self, seq: int, limit: int) -> list[Cancellation]:
        """Unacknowledged cancellations with ``seq`` above the cursor, in ``seq`` order."""
        ...

    async def acknowledge(
        self, cancellation_id: str, result: str, detail: str, at: datetime
    ) -> Cancellation | None:
        """Record the robot's result if none is recorded yet; return the stored cancellation.

        The first acknowledgement wins: the caller compares the returned ``result``
        with its own to tell a repeat from a conflict. None when the id is unknown.
        """
        ...

    async def failed(self, limit: int) -> list[Cancellation]:
        """Cancellations the robot could not apply, newest acknowledgement first (staff's list)."""
        ...

    async def for_appointments(self, appointment_ids: Sequence[str]) -> list[Cancellation]:
        """The cancellations of any of these appointments (the reports' read)."""
        ...


# --- The robot's API: tokens, idempotency keys, long operations --------------------------


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An API token, as stored: only the SHA-256 of the secret is kept."""

    name: str
    token_hash: str  # hex sha256 of the whole token
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class TokenRepository(Protocol):
    async def add(self, token: ApiToken) -> bool:
        """Store a new token; False when an unrevoked token has this name (a revoked one is replaced)."""
        ...

    async def by_hash(self, token_hash: str) -> ApiToken | None: ...
    async def all(self) -> list[ApiToken]:
        """Every token, by name."""
        ...

    async def touch(self, name: str, at: datetime, every: timedelta) -> None:
        """Set ``last_used_at`` to ``at`` unless it was set less than ``every`` before."""
        ...

    async def revoke(self, name: str, at: datetime) -> bool:
        """False when there is no unrevoked token by that name."""
        ...


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """The first answer given to a request carrying an ``Idempotency-Key``."""

    key: str  # scoped by the caller: token, route, client key
    fingerprint: str  # sha256 of the request body
    created_at: datetime
    status: int | None = None  # None while the first request is still running
    body: str | None = None  # the JSON answer, as sent


class IdempotencyRepository(Protocol):
    async def claim(
        self, key: str, fingerprint: str, at: datetime, stale_after: timedelta
    ) -> IdempotencyRecord | None:
        """Take the key; None when the caller now owns it, else the record that holds it.

        A claim left unanswered for ``stale_after`` (its process died) is taken over.
        """
        ...

    async def complete(self, key: str, status: int, body: str) -> None: ...
    async def release(self, key: str) -> None:
        """Forget an unanswered claim (the request failed: a retry may run it again)."""
        ...


@dataclass(frozen=True, slots=True)
class Operation:
    """A long request (a large batch) running in the background; any process can report it."""

    id: str
    kind: str
    owner: str  # the token name that started it: only it may read it
    created_at: datetime
    updated_at: datetime
    total: int
    done: int = 0
    state: str = "running"  # running | succeeded | failed
    result: dict[str, Any] | None = None
    error: str | None = None


class OperationRepository(Protocol):
    async def create(self, operation: Operation) -> None: ...
    async def get(self, operation_id: str) -> Operation | None: ...
    async def progress(self, operation_id: str, done: int, at: datetime) -> None: ...
    async def finish(
        self,
        operation_id: str,
        at: datetime,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Mark it succeeded with ``result``, or failed with ``error``."""
        ...


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
    def dead_letters(self) -> DeadLetterRepository: ...
    @property
    def flow_versions(self) -> FlowVersionRepository: ...
    @property
    def tokens(self) -> TokenRepository: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...
    @property
    def operations(self) -> OperationRepository: ...

    def transaction(self) -> AbstractAsyncContextManager[Store]:
        """A Store whose writes commit together or not at all."""
        ...


# --- Sending ---------------------------------------------------------------------------


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


class Messenger(Protocol):
    """A channel that delivers WhatsApp messages: Twilio, or the simulator."""

    async def send(self, message: OutboundMessage) -> SendResult:
        """One attempt, no retries of its own."""
        ...

    async def find_sent(self, to: str, sender: str, since: datetime) -> list[ProviderMessage]:
        """Messages the provider created for ``to`` from ``sender`` since ``since``."""
        ...


class TaskQueue(Protocol):
    """Hands work to the workers. Losing a hand-off is allowed: the sweeper re-hands."""

    async def enqueue_send(self, key: str) -> None: ...

    async def oldest_unfinished(self) -> datetime | None:
        """When the oldest task not yet finished by a worker was handed out; None if none is."""
        ...


@dataclass(frozen=True, slots=True)
class RateSlot:
    """A rate limiter's answer: send after ``wait`` seconds if ``granted``, else ask again then."""

    granted: bool
    wait: float = 0.0


class RateLimiter(Protocol):
    """A per-key send rate shared by every process."""

    async def reserve(self, key: str, max_wait: float) -> RateSlot:
        """Reserve the next slot if it is at most ``max_wait`` seconds away."""
        ...

    async def admit(self, key: str) -> float:
        """Count one send now if the last second leaves room (0.0); else the seconds until it does."""
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


class FlowCatalog(Protocol):
    """The flows the clinic wrote, compiled, every version kept loadable."""

    def current(self, name: str) -> CompiledFlow:
        """The newest valid version (raises NotFoundError if there is none)."""
        ...

    def load_version(self, name: str, version: str) -> CompiledFlow:
        """A version loaded in this process (raises NotFoundError otherwise)."""
        ...

    def register_source(self, text: str, origin: str = "<stored>") -> CompiledFlow:
        """Load an older version from its stored text (raises FlowError if invalid)."""
        ...

    @property
    def problems(self) -> dict[str, list[str]]:
        """Files whose latest edit was refused -> their problems (``file:line: message``)."""
        ...

    @property
    def registry(self) -> FlowRegistry:
        """Every version loaded so far, by flow name (what the console lists)."""
        ...


class FlowVersionRepository(Protocol):
    """Every flow version a conversation ever started on, so it can finish on it after restarts."""

    async def save(self, name: str, version: str, source: str) -> None: ...
    async def source(self, name: str, version: str) -> str | None: ...
