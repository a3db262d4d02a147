"""One Settings object: ``config.yaml`` first, then ``.env``, then the environment.

Loaded once by a composition root and passed down. Secrets come only from the
environment (or ``.env``); a secret found in ``config.yaml`` is refused. Any bad
value raises :class:`ConfigError` with one line naming the key, where it came
from (``file:line`` or the variable) and what is wrong.
"""

from __future__ import annotations

import os
import re
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from dotenv import dotenv_values
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.core.errors import ConfigError
from bot.core.outbox import ErrorAction, RetryPolicy, SendPolicy

__all__ = ["ErrorAction", "Settings", "Unit", "load_settings"]

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
            f"unknown timezone {value!r} (use an IANA name like America/Sao_Paulo)"
        ) from None
    return value


def _upper(value: Any) -> Any:
    """LOG_LEVEL=info works as well as INFO."""
    return value.strip().upper() if isinstance(value, str) else value


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
            raise ValueError("start must be before end")
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


class Settings(BaseSettings):
    """Everything a process needs to know, validated once at start."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True, case_sensitive=False)

    # From the environment (operators' contract) -------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # Health and metrics of a worker or scheduler (9100 when unset; 0: any free port).
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    mongodb_url: str | None = None
    mongodb_db: str = "digitaly"
    redis_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_api_base_url: str = "https://api.twilio.com"
    public_base_url: str | None = None
    # Bearer token for the web's GET /metrics; without it, only this machine may scrape.
    metrics_token: SecretStr | None = None
    smtp_url: SecretStr | None = None
    data_dir: Path = Path("var")
    log_level: Annotated[str, BeforeValidator(_upper)] = Field(
        default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$"
    )

    # From config.yaml ----------------------------------------------------------------
    clinic: Clinic = Clinic()
    units: list[Unit] = Field(default_factory=list)
    reminders: Reminders = Reminders()
    reports: Reports = Reports()
    rate_limits: RateLimits = RateLimits()
    sending: Sending = Sending()
    conversations: Conversations = Conversations()
    rescheduling: Rescheduling = Rescheduling()
    api: Api = Api()
    staff_login: StaffLogin = StaffLogin()
    web_limits: WebLimits = WebLimits()
    retention: Retention = Retention()
    flows_dir: Path = Path("flows")

    @model_validator(mode="after")
    def _unique_units(self) -> Settings:
        keys = [unit.key for unit in self.units]
        if len(keys) != len(set(keys)):
            raise ValueError("unit keys must be unique")
        return self

    @model_validator(mode="after")
    def _public_url_with_twilio(self) -> Settings:
        # Without it no status callback is asked for and no webhook signature can match.
        if self.twilio_enabled and not self.public_base_url:
            raise ValueError(
                "PUBLIC_BASE_URL is required with TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: "
                "set it to the https URL Twilio calls (see docs/operations.md)"
            )
        if self.public_base_url and not self.public_base_url.startswith(("https://", "http://")):
            raise ValueError("PUBLIC_BASE_URL must start with https:// (or http://)")
        return self

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    def unit(self, key: str) -> Unit | None:
        return next((unit for unit in self.units if unit.key == key), None)

    def sending_hours(self, unit: Unit) -> SendingHours:
        return unit.sending_hours or self.reminders.sending_hours

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings merges the sources itself (to know where each value came
        # from); only explicit keyword arguments reach the model.
        return (init_settings,)


# Keys that may only come from the environment, never from a committed file.
_SECRETS = {
    "twilio_auth_token",
    "metrics_token",
    "smtp_url",
    "mongodb_url",
    "redis_url",
    "twilio_account_sid",
}
_ENV_KEYS = {
    "host", "port", "metrics_port", "mongodb_url", "mongodb_db", "redis_url", "twilio_account_sid",
    "twilio_auth_token", "twilio_api_base_url", "public_base_url", "smtp_url", "data_dir",
    "metrics_token",
    "log_level",
}  # fmt: skip


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that remembers the line of every mapping key."""


def _load_yaml_with_lines(text: str) -> tuple[dict[str, Any], dict[tuple[Any, ...], int]]:
    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                child = (*path, key_node.value)
                lines[child] = key_node.start_mark.line + 1
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    loader = _LineLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return {}, {}
        walk(root, ())
        data = loader.construct_document(root)
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of keys")
    return data, lines


def _where(path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def load_settings(
    environ: dict[str, str] | None = None, *, config_path: Path | None = None
) -> Settings:
    """Build the Settings from config.yaml, .env and the environment; raise ConfigError."""
    env = dict(os.environ if environ is None else environ)
    lowered = {key.lower(): value for key, value in env.items()}
    dotenv_path = Path(".env")
    dotenv = {
        key.lower(): value
        for key, value in (dotenv_values(dotenv_path) if dotenv_path.is_file() else {}).items()
        if value is not None
    }
    path = config_path or Path(
        lowered.get("digitaly_config") or dotenv.get("digitaly_config") or "config.yaml"
    )
    file_data: dict[str, Any] = {}
    lines: dict[tuple[Any, ...], int] = {}
    if path.is_file():
        try:
            file_data, lines = _load_yaml_with_lines(path.read_text(encoding="utf-8"))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            line = f":{mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"{path}{line}: not valid YAML: {exc.problem}") from None
        except ConfigError as exc:
            raise ConfigError(f"{path}:1: {exc}") from None
    elif config_path is not None or "digitaly_config" in lowered:
        raise ConfigError(f"DIGITALY_CONFIG: no such file {path}")
    for key in file_data:
        if key in _SECRETS:
            raise ConfigError(
                f"{path}:{lines.get((key,), 1)}: {key}: secrets come only from the environment "
                f"(set {key.upper()}), never from {path.name}"
            )

    values: dict[str, Any] = dict(file_data)
    origin: dict[str, str] = {}
    for source_name, source in ((".env", dotenv), ("environment", lowered)):
        for key in _ENV_KEYS:
            if key in source and source[key] != "":
                values[key] = source[key]
                origin[key] = source_name

    try:
        return Settings(**values)
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        key = ".".join(str(part) for part in loc) or "config"
        message = error["msg"].removeprefix("Value error, ")
        top = str(loc[0]) if loc else ""
        if top in origin:
            where = f"{top.upper()} ({origin[top]} variable)"
            raise ConfigError(f"{where}: {message}; got {values[top]!r}") from None
        if top in file_data or not loc:
            raise ConfigError(f"{path}:{_where(loc, lines)}: {key}: {message}") from None
        raise ConfigError(f"{key}: {message}") from None
