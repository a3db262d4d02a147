"""The sections of ``config.yaml``: one pydantic model each, checked before anything starts.

:mod:`bot.settings` puts them together with the environment into one Settings object.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from bot.core.outbox import ErrorAction, RetryPolicy, SendPolicy

__all__ = [
    "Api",
    "Clinic",
    "Conversations",
    "RateLimits",
    "Reminders",
    "ReportSchedule",
    "Reports",
    "Rescheduling",
    "Retention",
    "Sending",
    "SendingHours",
    "StaffLogin",
    "Unit",
    "WebLimits",
]

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _parse_duration(value: Any) -> Any:
    """Accept "48h", "30m", "2d", "90s" besides pydantic's own forms."""
    if isinstance(value, str) and (match := _DURATION.match(value)):
        return timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])
    return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"fuso horário desconhecido {value!r} (use um nome como America/Sao_Paulo)"
        ) from None
    return value


Duration = Annotated[timedelta, BeforeValidator(_parse_duration)]
TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SendingHours(_Section):
    start: time = time(8, 0)
    end: time = time(20, 0)
    sundays: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> SendingHours:
        if self.start >= self.end:
            raise ValueError("start precisa ser antes de end")
        return self


class Unit(_Section):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    address: str
    timezone: TimeZoneName = "America/Sao_Paulo"
    whatsapp_sender: str = Field(pattern=r"^whatsapp:\+\d{8,15}$")
    report_recipients: list[str] = Field(default_factory=list)
    # This unit's own sending hours; without it, reminders.sending_hours applies.
    sending_hours: SendingHours | None = None


class Reminders(_Section):
    offsets: list[Duration] = Field(default_factory=lambda: [timedelta(hours=24)], min_length=1)
    sending_hours: SendingHours = SendingHours()
    # No reminder for an appointment closer than this.
    min_lead: Duration = timedelta(hours=2)
    flow: str = "confirmation"
    notify_patient_on_clinic_cancel: bool = True
    # The flow message (with its template) telling the patient the clinic cancelled.
    clinic_cancel_notice: str = "clinic_cancelled"


class ReportSchedule(_Section):
    cron: str
    kind: str = Field(pattern=r"^(expected|summary)$")


class Reports(_Section):
    schedules: list[ReportSchedule] = Field(default_factory=list)
    # Who receives the whole network's report (each unit's goes to its report_recipients).
    network_recipients: list[str] = Field(default_factory=list)
    # The From of report emails.
    sender: str = "Digitaly <relatorios@digitaly.local>"


class RateLimits(_Section):
    messages_per_second: float = Field(default=80.0, gt=0)
    burst: int = Field(default=10, ge=1)


class Sending(_Section):
    max_attempts: int = Field(default=5, ge=1)
    backoff_base: Duration = timedelta(seconds=2)
    backoff_cap: Duration = timedelta(minutes=5)
    request_timeout: Duration = timedelta(seconds=15)
    # A send whose outcome is unknown is looked up at Twilio after this long, then resent if absent.
    unknown_grace: Duration = timedelta(minutes=2)
    circuit_failures: int = Field(default=5, ge=1)
    circuit_reset: Duration = timedelta(seconds=30)
    errors: dict[int, ErrorAction] = Field(default_factory=dict)
    default_error_action: ErrorAction = ErrorAction.ALERT
    # A sender over Meta's messaging limit (63018) holds its business-initiated sends this long.
    throttle_pause: Duration = timedelta(hours=1)

    @property
    def policy(self) -> SendPolicy:
        """The outbox's decision rules (:mod:`bot.core.outbox`) as configured here."""
        return SendPolicy(
            retry=RetryPolicy(self.max_attempts, self.backoff_base, self.backoff_cap),
            request_timeout=self.request_timeout,
            unknown_grace=self.unknown_grace,
            errors=self.errors,
            default_action=self.default_error_action,
            throttle_pause=self.throttle_pause,
        )

    def action_for(self, code: int | None) -> ErrorAction:
        return self.policy.action_for(code)


class Conversations(_Section):
    # Messages a patient sends this close together are read as one answer.
    burst_window: Duration = timedelta(seconds=3)
    # Whole-message words that stop / restart messages when no conversation is running
    # (inside a conversation, the flow's opt_out intent decides).
    opt_out_words: list[str] = Field(default_factory=lambda: ["sair", "parar", "pare", "stop"])
    opt_out_message: str = "Pronto, você não vai mais receber nossas mensagens por aqui."
    opt_in_words: list[str] = Field(default_factory=lambda: ["voltar"])
    opt_in_message: str = "Que bom ter você de volta! Você voltará a receber nossos lembretes."
    # Twilio gives up on a webhook we did not answer (11200); this often the scheduler
    # lists what patients sent at Twilio and stores what never reached us, reading
    # back ``reconcile_overlap`` before the newest message it saw the last time.
    reconcile_every: Duration = timedelta(minutes=1)
    reconcile_overlap: Duration = timedelta(minutes=10)


class Rescheduling(_Section):
    """Rescheduling in the chat: the free times the robot pushed (PUT /api/v1/slots)."""

    # How many free times one offer lists.
    offer_count: int = Field(default=3, ge=1, le=9)
    # No time offered closer than this.
    min_lead: Duration = timedelta(hours=24)
    # How long a picked time stays held for the patient while the robot books it.
    hold_for: Duration = timedelta(hours=2)


class Retention(_Section):
    # Message texts (what patients wrote, what we sent) are blanked after this.
    message_bodies: Duration = timedelta(days=90)


class Api(_Section):
    """The robot's HTTP API (``/api/v1``)."""

    # Per token, shared by every web process through Redis; a burst is allowed after a pause.
    requests_per_minute: int = Field(default=300, ge=1)
    burst: int = Field(default=60, ge=1)
    # Items per PUT /api/v1/appointments (the contract with the robot says 1,000).
    max_batch: int = Field(default=1000, ge=1, le=1000)
    # Batches larger than this answer 202 and run in the background.
    async_batch_threshold: int = Field(default=200, ge=1)
    max_body: int = Field(default=2 * 1024 * 1024, ge=1024)  # bytes


class StaffLogin(_Section):
    """Failed console logins: slowed after ``free_failures``, locked at ``lock_at`` (issue 17).

    Per account, and per client address (higher: a reception desk shares one address).
    """

    free_failures: int = Field(default=5, ge=1)
    lock_at: int = Field(default=10, ge=2)
    client_free_failures: int = Field(default=20, ge=1)
    client_lock_at: int = Field(default=50, ge=2)
    lock_for: Duration = timedelta(minutes=15)


class WebLimits(_Section):
    """What one client may hold of the web server (docs/operations.md)."""

    header_timeout: Duration = timedelta(seconds=15)  # a whole request head, and idle keep-alive
    body_timeout: Duration = timedelta(seconds=60)  # a whole body, from its head
    max_connections_per_client: int = Field(default=32, ge=0)  # 0: no cap (a proxy limits)


class Clinic(_Section):
    name: str = "Digitaly"
