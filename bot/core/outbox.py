"""What happens next to an outbox entry: pure decisions, no I/O and no clock reads.

The sending service (:mod:`bot.services.outbox`) reads the entry and asks the
provider; this module decides, from the entry, what came back (a send result,
a status callback, a lookup), the error policy and ``now``, what the next step
is. The service then carries it out with compare-and-set writes::

    decision        the service ...
    Skip            does nothing
    Throttle        gives the entry back to PENDING until ``until``, the attempt unspent;
                    ``pause_sender`` also pauses its sender's business-initiated sends
    Retry           moves it back to PENDING, due at ``at`` (backoff after a rejection)
    Unknown         moves it to UNKNOWN: reconcile before any resend
    Sent            moves it to SENT with the provider's sid
    End             FAILED or DEAD (a dead letter), after suppressing the number if
                    ``suppress``; ``call_list`` puts an undeliverable reminder's
                    unanswered appointments on the call list

A failure is decided once, by its error class, whether it came in the send's
answer (:func:`after_send`) or later in a status callback (:func:`after_status`):
see :func:`on_failure`.

Report emails follow the same retry rule (:func:`retry_or_give_up`) with their
own budget. The sweeper's rules (leases, reconciliation, re-hand-offs) are in
:mod:`bot.core.sweeping`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.model import AppointmentStatus, MessageKind, is_reminder
from bot.core.phones import is_erased
from bot.core.ports import (
    OutboxEntry,
    OutboxState,
    SendOutcome,
    SendResult,
    StatusEvent,
)

__all__ = [
    "ERASED",
    "MAX_RATE_WAIT",
    "OPT_OUT_KIND",
    "STATUS_RANK",
    "SUPPRESSED",
    "UNANSWERED",
    "WINDOW",
    "Decision",
    "End",
    "ErrorAction",
    "GiveUp",
    "Resend",
    "Retry",
    "RetryPolicy",
    "SendPolicy",
    "Sent",
    "Skip",
    "StatusDecision",
    "Throttle",
    "Unknown",
    "after_send",
    "after_status",
    "breaker_ok",
    "business_initiated",
    "checks_suppression",
    "erasure",
    "expiry",
    "is_due",
    "on_failure",
    "outside_window",
    "rejection_action",
    "retry_or_give_up",
]

OPT_OUT_KIND = MessageKind.OPT_OUT
# A task waits at most this long for its rate slot; beyond, it is postponed.
MAX_RATE_WAIT = 2.0
# WhatsApp's customer-service window: free text only this long after the patient's last message.
WINDOW = timedelta(hours=24)
# Appointments a failed reminder may move to the call list (never over a patient's answer).
UNANSWERED = frozenset({AppointmentStatus.SCHEDULED, AppointmentStatus.NO_RESPONSE})

# Forward-only projection: a late "sent" never hides "delivered"; "read" proves delivery.
STATUS_RANK = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "failed": 4,
    "undelivered": 4,
    "delivered": 5,
    "read": 6,
}
_FAILED_STATUSES = frozenset({"failed", "undelivered"})


class ErrorAction(StrEnum):
    """What to do when Twilio refuses a send with a given error code."""

    RETRY = "retry"  # temporary: back off and try again, up to max_attempts
    PERMANENT = (
        "permanent"  # never works as sent: record the code, put the patient on the call list
    )
    ALERT = "alert"  # unexpected: no retry, dead-letter it for a person to look at
    OPT_OUT = "opt_out"  # the patient blocked us: suppress the number
    THROTTLE = "throttle"  # the sender is over Meta's limit: pause its business-initiated sends


_UNDELIVERABLE = frozenset({ErrorAction.PERMANENT, ErrorAction.OPT_OUT})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """A retry budget with exponential backoff (full jitter unless ``rand`` says otherwise)."""

    max_attempts: int
    backoff_base: timedelta
    backoff_cap: timedelta

    def backoff(
        self, attempt: int, retry_after: float | None, rand: Callable[[], float]
    ) -> timedelta:
        """Never shorter than the provider's Retry-After."""
        exponent = min(30, max(0, attempt - 1))
        ceiling: timedelta = min(self.backoff_cap, self.backoff_base * 2**exponent)
        delay: timedelta = ceiling * rand()
        return max(delay, timedelta(seconds=retry_after or 0))


@dataclass(frozen=True, slots=True)
class SendPolicy:
    """The outbox's rules, as configured (``sending`` in config.yaml)."""

    retry: RetryPolicy
    request_timeout: timedelta
    unknown_grace: timedelta
    errors: Mapping[int, ErrorAction] = field(default_factory=dict)
    default_action: ErrorAction = ErrorAction.ALERT
    # How long a throttled sender's business-initiated sends wait (Meta's tier window moves).
    throttle_pause: timedelta = timedelta(hours=1)

    def action_for(self, code: int | None) -> ErrorAction:
        return self.errors.get(code, self.default_action) if code else self.default_action

    @property
    def lease(self) -> timedelta:
        """How long an attempt may stay in SENDING before its outcome counts as unknown.

        Longer than its wait for a rate slot plus the request's own timeout, so a
        live worker's attempt never looks abandoned.
        """
        return self.request_timeout * 2 + timedelta(seconds=MAX_RATE_WAIT)


# --- Decisions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Skip:
    """Nothing to do."""


@dataclass(frozen=True, slots=True)
class Throttle:
    """Give the entry back until ``until``; no attempt is spent.

    ``refund``: the attempt was already counted (it reached the provider) and is
    given back; ``pause_sender``: the provider said the sender is over its limit.
    """

    until: datetime
    expected: OutboxState = OutboxState.SENDING
    refund: bool = False
    pause_sender: bool = False
    error_code: int | None = None


@dataclass(frozen=True, slots=True)
class Retry:
    """A rejection worth another attempt: PENDING again, due at ``at``."""

    at: datetime
    error_code: int | None
    expected: OutboxState = OutboxState.SENDING


@dataclass(frozen=True, slots=True)
class Resend:
    """An unknown outcome the provider never created: PENDING again, due at ``at``."""

    at: datetime


@dataclass(frozen=True, slots=True)
class Unknown:
    """The request left and no answer came back."""

    since: datetime


@dataclass(frozen=True, slots=True)
class Sent:
    """The provider has it; ``from_states`` are tried in order (the lease may have run out)."""

    provider_sid: str | None
    from_states: tuple[OutboxState, ...] = (OutboxState.SENDING, OutboxState.UNKNOWN)


@dataclass(frozen=True, slots=True)
class End:
    """FAILED or DEAD for good (DEAD leaves a dead letter for a person)."""

    state: OutboxState
    reason: str
    error_code: int | None = None
    expected: OutboxState = OutboxState.SENDING
    call_list: bool = True  # it reached the provider: an undeliverable reminder's patient is called
    suppress: bool = False  # the patient blocked us: suppress the number first


@dataclass(frozen=True, slots=True)
class GiveUp:
    """The retry budget is spent."""


Decision = Skip | Throttle | Retry | Resend | Unknown | Sent | End


def is_due(entry: OutboxEntry, now: datetime) -> bool:
    """Pending and not postponed: worth claiming (the sweeper hands it on when due)."""
    if entry.state is not OutboxState.PENDING:
        return False
    return entry.next_attempt_at is None or entry.next_attempt_at <= now


def checks_suppression(entry: OutboxEntry) -> bool:
    """The opt-out's own confirmation is the one message that still goes to the number."""
    return entry.kind != OPT_OUT_KIND


def expiry(entry: OutboxEntry, now: datetime) -> End | None:
    """A claimed entry past its ``expires_at`` is never sent (None: still in time)."""
    if entry.expires_at is not None and now >= entry.expires_at:
        return End(OutboxState.FAILED, "expired before it was sent", call_list=False)
    return None


def outside_window(entry: OutboxEntry, last_inbound: datetime | None, now: datetime) -> End | None:
    """Free text goes only inside the 24-hour window; a template goes any time.

    Checked at send time: a reply queued inside the window may be sent after it
    closed (a retry, a pause). Twilio would fail it with 63016; it is dead-lettered
    here instead, with the reason, for a person to follow up.
    """
    if entry.content_sid is not None:
        return None
    if last_inbound is not None and now - last_inbound <= WINDOW:
        return None
    why = "never wrote" if last_inbound is None else "last wrote over 24 hours before"
    reason = f"free text outside the 24-hour window (the patient {why}) and no template"
    return End(OutboxState.DEAD, reason)


# A claimed entry of a patient whose data was erased (LGPD): never sent, whatever its kind.
ERASED = End(OutboxState.FAILED, "erased: the patient's data was erased", call_list=False)


def erasure(entry: OutboxEntry) -> End | None:
    """A claimed entry whose number was erased is never sent (None: a live number).

    The erasure cancels the pending entries; one claimed meanwhile, or handed back to
    pending later (a throttle, an unknown outcome found unsent), still reaches a worker
    and stops here."""
    return ERASED if is_erased(entry.phone) else None


# A claimed entry to a number that opted out (see :func:`checks_suppression`).
SUPPRESSED = End(OutboxState.FAILED, "suppressed: the patient opted out", call_list=False)


def breaker_ok(result: SendResult) -> bool:
    """Whether the attempt counts as a success for the circuit breaker."""
    if result.outcome is SendOutcome.ACCEPTED:
        return True
    if result.outcome is SendOutcome.UNKNOWN:
        return False
    return not _transient(result)


def after_send(
    entry: OutboxEntry,
    result: SendResult,
    policy: SendPolicy,
    now: datetime,
    rand: Callable[[], float],
) -> Sent | Unknown | Retry | Throttle | End:
    """What one attempt's result means (``entry.attempts`` counts this attempt)."""
    if result.outcome is SendOutcome.ACCEPTED:
        return Sent(result.provider_sid)
    if result.outcome is SendOutcome.UNKNOWN:
        return Unknown(now)
    action = rejection_action(result, policy)
    return on_failure(entry, action, result.error_code, _said(result), policy, now, rand,
                      retry_after=result.retry_after)  # fmt: skip


def on_failure(
    entry: OutboxEntry,
    action: ErrorAction,
    code: int | None,
    said: str,
    policy: SendPolicy,
    now: datetime,
    rand: Callable[[], float],
    *,
    retry_after: float | None = None,
    expected: OutboxState = OutboxState.SENDING,
) -> Retry | Throttle | End:
    """The one decision for a message the provider did not deliver, by its error's class.

    ``expected`` is the state the entry is in: SENDING for the send's own answer,
    SENT for a failure reported later by a status callback.
    """
    if action is ErrorAction.THROTTLE:
        until = now + max(policy.throttle_pause, timedelta(seconds=retry_after or 0))
        return Throttle(until, expected, refund=True, pause_sender=True, error_code=code)
    if action is ErrorAction.RETRY:
        retry = retry_or_give_up(entry.attempts, policy.retry, now, retry_after, rand)
        if isinstance(retry, GiveUp):
            reason = f"gave up after {entry.attempts} attempts (last: {said})"
            return End(OutboxState.DEAD, reason, code, expected)
        return Retry(retry.at, code, expected)
    if action in _UNDELIVERABLE:
        reason = f"rejected for good: {said}"
        opt_out = action is ErrorAction.OPT_OUT
        return End(OutboxState.FAILED, reason, code, expected, suppress=opt_out)
    reason = f"unexpected rejection, needs a person: {said}"
    return End(OutboxState.DEAD, reason, code, expected)


def business_initiated(entry: OutboxEntry) -> bool:
    """Sent on the clinic's initiative (reminders, notices): what Meta's tier limits count."""
    return is_reminder(entry.kind) or entry.kind == MessageKind.NOTICE


def rejection_action(result: SendResult, policy: SendPolicy) -> ErrorAction:
    """The configured action for a rejection's code; without a code, by its HTTP status."""
    if result.error_code is not None:
        return policy.action_for(result.error_code)
    return ErrorAction.RETRY if _transient(result) else policy.default_action


def retry_or_give_up(
    attempts: int,
    policy: RetryPolicy,
    now: datetime,
    retry_after: float | None,
    rand: Callable[[], float],
) -> Retry | GiveUp:
    """After ``attempts`` failed attempts: the next one's time, or give up (budget spent)."""
    if attempts >= policy.max_attempts:
        return GiveUp()
    return Retry(now + policy.backoff(attempts, retry_after, rand), None)


def _transient(result: SendResult) -> bool:
    status = result.http_status
    return status is None or status == 429 or status >= 500


def _said(result: SendResult) -> str:
    code = f"code {result.error_code}" if result.error_code else "no code"
    status = f"http {result.http_status}" if result.http_status else "no connection"
    return f"{status}, {code}"


@dataclass(frozen=True, slots=True)
class StatusDecision:
    """What a new status callback changes besides the delivery status it projects."""

    settle: Sent | None  # a callback proves the provider created it: settles a lost answer
    failure: Retry | Throttle | End | None  # a failure reported late, decided as if sync


def after_status(
    entry: OutboxEntry | None,
    event: StatusEvent,
    policy: SendPolicy,
    now: datetime,
    rand: Callable[[], float],
) -> StatusDecision:
    """Decide from a (first-seen) status callback, ``entry`` as projected with it."""
    settle = None
    if event.key:
        settle = Sent(event.sid, (OutboxState.UNKNOWN, OutboxState.SENDING))
    if (
        entry is None
        or event.status not in _FAILED_STATUSES
        or entry.provider_sid not in {None, event.sid}  # an earlier attempt's message
        or entry.delivery_rank > STATUS_RANK["failed"]  # delivered or read: it did arrive
    ):
        return StatusDecision(settle, None)
    action = policy.action_for(event.error_code)
    said = f"status {event.status}, code {event.error_code or 'none'}"
    failure = on_failure(entry, action, event.error_code, said, policy, now, rand,
                         expected=OutboxState.SENT)  # fmt: skip
    return StatusDecision(settle, failure)
