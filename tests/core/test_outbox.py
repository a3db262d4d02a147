"""The outbox's decisions, as tables: entry + what came back + policy + now -> next step."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.core.outbox import (
    OPT_OUT_KIND,
    SUPPRESSED,
    End,
    ErrorAction,
    GiveUp,
    Resend,
    Retry,
    RetryPolicy,
    SendPolicy,
    Sent,
    Skip,
    StatusDecision,
    Throttle,
    Unknown,
    after_send,
    after_status,
    breaker_ok,
    checks_suppression,
    expiry,
    is_due,
    retry_or_give_up,
)
from bot.core.ports import (
    OutboxEntry,
    OutboxState,
    ProviderMessage,
    SendOutcome,
    SendResult,
    StatusEvent,
)
from bot.core.sweeping import (
    hand_off_horizon,
    lease_expired,
    reconcile_candidates,
    should_kick,
    unmatched_unknown,
)
from bot.settings import load_settings
from tests.builders import NOW, outbox_entry

CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"

T0 = NOW
S = timedelta(seconds=1)
POLICY = SendPolicy(
    retry=RetryPolicy(max_attempts=3, backoff_base=2 * S, backoff_cap=300 * S),
    request_timeout=15 * S,
    unknown_grace=120 * S,
    errors={
        63016: ErrorAction.PERMANENT,
        21610: ErrorAction.OPT_OUT,
        30500: ErrorAction.RETRY,
        63018: ErrorAction.THROTTLE,
    },
    default_action=ErrorAction.ALERT,
)
# Free text (the reconcile rule compares it), on its first attempt.
ENTRY = outbox_entry("c1:ask:reminder:0", content_sid=None, variables={}, buttons=(), attempts=1)


def one() -> float:
    return 1.0


def rejected(
    http: int | None, code: int | None = None, retry_after: float | None = None
) -> SendResult:
    return SendResult(
        SendOutcome.REJECTED, error_code=code, http_status=http, retry_after=retry_after
    )


@pytest.mark.parametrize(
    ("attempts", "result", "expected"),
    [
        (1, SendResult(SendOutcome.ACCEPTED, provider_sid="SM1"), Sent("SM1")),
        (1, SendResult(SendOutcome.UNKNOWN), Unknown(T0)),
        (1, rejected(503), Retry(T0 + 2 * S, None)),
        (2, rejected(429, retry_after=30), Retry(T0 + 30 * S, None)),
        (2, rejected(400, 30500), Retry(T0 + 4 * S, 30500)),
        (3, rejected(503), End(OutboxState.DEAD, "gave up after 3 attempts (last: http 503, no code)")),
        (1, rejected(None), Retry(T0 + 2 * S, None)),
        (1, rejected(400, 63016), End(OutboxState.FAILED, "rejected for good: http 400, code 63016", 63016)),
        (1, rejected(400, 21610), End(OutboxState.FAILED, "rejected for good: http 400, code 21610", 21610, suppress=True)),
        (1, rejected(400, 99999), End(OutboxState.DEAD, "unexpected rejection, needs a person: http 400, code 99999", 99999)),
        (1, rejected(400), End(OutboxState.DEAD, "unexpected rejection, needs a person: http 400, no code")),
    ],
)  # fmt: skip
def test_after_send(attempts: int, result: SendResult, expected: object) -> None:
    entry = replace(ENTRY, attempts=attempts)
    assert after_send(entry, result, POLICY, T0, one) == expected


@pytest.mark.parametrize(
    ("result", "ok"),
    [
        (SendResult(SendOutcome.ACCEPTED), True),
        (SendResult(SendOutcome.UNKNOWN), False),
        (rejected(None), False),
        (rejected(429), False),
        (rejected(500), False),
        (rejected(400, 63016), True),
    ],
)
def test_breaker_counts_only_the_providers_failures(result: SendResult, ok: bool) -> None:
    assert breaker_ok(result) is ok


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        (1, Retry(T0 + 2 * S, None)),
        (2, Retry(T0 + 4 * S, None)),
        (8, Retry(T0 + 256 * S, None)),
        (9, Retry(T0 + 300 * S, None)),  # capped
        (10, GiveUp()),
    ],
)
def test_retry_or_give_up(attempts: int, expected: object) -> None:
    policy = RetryPolicy(max_attempts=10, backoff_base=2 * S, backoff_cap=300 * S)
    assert retry_or_give_up(attempts, policy, T0, None, one) == expected


def test_backoff_has_full_jitter_and_honours_retry_after() -> None:
    assert POLICY.retry.backoff(3, None, lambda: 0.5) == 4 * S
    assert POLICY.retry.backoff(3, 60, lambda: 0.5) == 60 * S


@pytest.mark.parametrize(
    ("changes", "due"),
    [
        ({}, True),
        ({"next_attempt_at": T0}, True),
        ({"next_attempt_at": T0 + S}, False),
        ({"state": OutboxState.SENDING}, False),
        ({"state": OutboxState.SENT}, False),
    ],
)
def test_is_due(changes: dict[str, object], due: bool) -> None:
    assert is_due(replace(ENTRY, **changes), T0) is due


@pytest.mark.parametrize(
    ("expires_at", "expected"),
    [
        (None, None),
        (T0 + S, None),
        (T0, End(OutboxState.FAILED, "expired before it was sent", call_list=False)),
    ],
)
def test_expiry(expires_at: datetime | None, expected: End | None) -> None:
    assert expiry(replace(ENTRY, expires_at=expires_at), T0) == expected


def test_the_opt_out_confirmation_is_never_suppressed() -> None:
    assert checks_suppression(ENTRY)
    assert not checks_suppression(replace(ENTRY, kind=OPT_OUT_KIND))
    assert SUPPRESSED.state is OutboxState.FAILED
    assert not SUPPRESSED.call_list


SETTLE = Sent("SM1", (OutboxState.UNKNOWN, OutboxState.SENDING))
# A reminder the provider accepted as SM1 on its first attempt.
ACCEPTED = replace(ENTRY, state=OutboxState.SENT, provider_sid="SM1", delivery_rank=4)


def _failed(code: int | None, status: str = "failed") -> str:
    return f"status {status}, code {code or 'none'}"


@pytest.mark.parametrize(
    ("status", "key", "code", "entry", "expected"),
    [
        ("delivered", "k1", None, ACCEPTED, StatusDecision(SETTLE, None)),
        ("sent", None, None, ACCEPTED, StatusDecision(None, None)),
        # Each class takes the same path as when the send's answer carried the code.
        ("undelivered", None, 63016, ACCEPTED, StatusDecision(None, End(OutboxState.FAILED, "rejected for good: " + _failed(63016, "undelivered"), 63016, OutboxState.SENT))),
        ("failed", None, 21610, ACCEPTED, StatusDecision(None, End(OutboxState.FAILED, "rejected for good: " + _failed(21610), 21610, OutboxState.SENT, suppress=True))),
        ("failed", None, 30500, ACCEPTED, StatusDecision(None, Retry(T0 + 2 * S, 30500, OutboxState.SENT))),
        ("failed", None, 30500, replace(ACCEPTED, attempts=3), StatusDecision(None, End(OutboxState.DEAD, "gave up after 3 attempts (last: status failed, code 30500)", 30500, OutboxState.SENT))),
        ("failed", None, 63018, ACCEPTED, StatusDecision(None, Throttle(T0 + 3600 * S, OutboxState.SENT, refund=True, pause_sender=True, error_code=63018))),
        ("failed", None, None, ACCEPTED, StatusDecision(None, End(OutboxState.DEAD, "unexpected rejection, needs a person: " + _failed(None), None, OutboxState.SENT))),
        ("failed", "k1", 30500, None, StatusDecision(SETTLE, None)),  # not ours any more
        # A failure never undoes proof of delivery, nor acts on an earlier attempt's message.
        ("failed", None, 30500, replace(ACCEPTED, delivery_rank=6), StatusDecision(None, None)),
        ("failed", None, 30500, replace(ACCEPTED, provider_sid="SM0"), StatusDecision(None, None)),
        ("read", None, 63016, ACCEPTED, StatusDecision(None, None)),
    ],
)  # fmt: skip
def test_after_status(
    status: str, key: str | None, code: int | None, entry: OutboxEntry | None, expected: object
) -> None:
    event = StatusEvent(sid="SM1", status=status, received_at=T0, key=key, error_code=code)
    assert after_status(entry, event, POLICY, T0, one) == expected


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (rejected(400, 63018), Throttle(T0 + 3600 * S, refund=True, pause_sender=True, error_code=63018)),
        (rejected(429, 63018, retry_after=7200), Throttle(T0 + 7200 * S, refund=True, pause_sender=True, error_code=63018)),
    ],
)  # fmt: skip
def test_a_throttle_answer_pauses_the_sender_without_spending_the_attempt(
    result: SendResult, expected: Throttle
) -> None:
    assert after_send(ENTRY, result, POLICY, T0, one) == expected


# The shipped error table (config.yaml): every WhatsApp code we know of, in its class.
_CLASSES = {
    ErrorAction.RETRY: [20429, 30500, 63017, 30003, 30008],
    ErrorAction.THROTTLE: [63018],
    ErrorAction.PERMANENT: [63016, 63024, 63032, 63049, 30036, 63003, 21211, 30006, 30007],
    ErrorAction.ALERT: [21656, 21655, 63021, 63028, 63040, 63041, 63042, 63007, 20003, 99999],
    ErrorAction.OPT_OUT: [63014, 21610],
}


@pytest.mark.parametrize(
    ("code", "action"), [(c, a) for a, codes in _CLASSES.items() for c in codes]
)
def test_the_shipped_error_table(code: int, action: ErrorAction) -> None:
    policy = load_settings({"DIGITALY_CONFIG": str(CONFIG)}).sending.policy
    assert policy.action_for(code) is action


def _found(sid: str, after: timedelta, body: str = "") -> ProviderMessage:
    return ProviderMessage(sid, ENTRY.phone, ENTRY.sender, T0 + after, body)


@pytest.mark.parametrize(
    ("found", "sids"),
    [
        ([], []),
        ([_found("b", 5 * S), _found("a", 1 * S)], ["a", "b"]),  # oldest first
        ([_found("late", 200 * S)], []),  # after the lease (32 s) and the skew (30 s)
        ([_found("same", S, " Olá ")], ["same"]),
        ([_found("other", S, "Tchau")], []),
    ],
)
def test_reconcile_candidates(found: list[ProviderMessage], sids: list[str]) -> None:
    entry = replace(ENTRY, state=OutboxState.UNKNOWN, claimed_at=T0)
    assert [m.sid for m in reconcile_candidates(entry, found, POLICY)] == sids


@pytest.mark.parametrize(
    ("attempts", "unknown_for", "expected"),
    [
        (1, 60 * S, Skip()),
        (1, 120 * S, Resend(T0)),
        (3, 120 * S, End(OutboxState.DEAD, "no answer and not found at the provider after 3 attempts", expected=OutboxState.UNKNOWN)),
    ],
)  # fmt: skip
def test_unmatched_unknown(attempts: int, unknown_for: timedelta, expected: object) -> None:
    entry = replace(ENTRY, attempts=attempts, unknown_since=T0 - unknown_for)
    assert unmatched_unknown(entry, POLICY, T0) == expected


@pytest.mark.parametrize(
    ("claimed_ago", "expired"), [(31 * S, False), (32 * S, True), (None, True)]
)
def test_lease_expired(claimed_ago: timedelta | None, expired: bool) -> None:
    claimed = None if claimed_ago is None else T0 - claimed_ago
    entry = replace(ENTRY, created_at=T0 - 60 * S, claimed_at=claimed)
    assert lease_expired(entry, POLICY, T0) is expired


@pytest.mark.parametrize(
    ("queued_since", "readable", "horizon"),
    [
        (None, True, T0 - 5 * S),
        (T0 - 60 * S, True, T0 - 65 * S),
        (T0, True, T0 - 5 * S),
        (None, False, T0 - 32 * S),
    ],
)
def test_hand_off_horizon(queued_since: datetime | None, readable: bool, horizon: datetime) -> None:
    assert hand_off_horizon(T0, queued_since, POLICY, queue_readable=readable) == horizon


@pytest.mark.parametrize(
    ("created", "kicked", "next_at", "horizon", "kick"),
    [
        (-60, None, None, -5, True),  # never handed out again since it was created
        (-60, -20, None, -5, False),  # handed out 20 s ago, 40 s after due: wait 40 s again
        (-60, -40, None, -5, True),  # handed out 40 s ago, 20 s after due: waited long enough
        (-60, -2, None, -5, False),  # handed out after the horizon: may still be queued
        (-60, -30, -10, -5, True),  # due again (postponed) since its last hand-off
    ],
)
def test_should_kick(
    created: int, kicked: int | None, next_at: int | None, horizon: int, kick: bool
) -> None:
    def at(seconds: int | None) -> datetime | None:
        return None if seconds is None else T0 + seconds * S

    entry = replace(
        ENTRY, created_at=T0 + created * S, kicked_at=at(kicked), next_attempt_at=at(next_at)
    )
    assert should_kick(entry, T0, T0 + horizon * S) is kick
