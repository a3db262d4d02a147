"""One Settings object: ``config.yaml`` first, then ``.env``, then the environment.

Loaded once by a composition root and passed down. Secrets come only from the
environment (or ``.env``); a secret found in ``config.yaml`` is refused. Any bad
value raises :class:`ConfigError` with one line naming the key, where it came
from (``file:line`` or the variable) and what is wrong.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import yaml
from dotenv import dotenv_values
from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.config_sections import (  # noqa: F401 - re-exported: callers name them from here
    Api,
    Clinic,
    Conversations,
    RateLimits,
    Reminders,
    Reports,
    ReportSchedule,
    Rescheduling,
    Retention,
    Sending,
    SendingHours,
    StaffLogin,
    Unit,
    WebLimits,
)
from bot.config_waitlist import Waitlist
from bot.core.errors import ConfigError
from bot.core.outbox import ErrorAction
from bot.core.schema_words import in_words

__all__ = ["ErrorAction", "Settings", "Unit", "load_settings"]


def _upper(value: Any) -> Any:
    """LOG_LEVEL=info works as well as INFO."""
    return value.strip().upper() if isinstance(value, str) else value


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
    waitlist: Waitlist = Waitlist()
    api: Api = Api()
    staff_login: StaffLogin = StaffLogin()
    web_limits: WebLimits = WebLimits()
    retention: Retention = Retention()
    flows_dir: Path = Path("flows")

    @model_validator(mode="after")
    def _unique_units(self) -> Settings:
        keys = [unit.key for unit in self.units]
        if len(keys) != len(set(keys)):
            raise ValueError("cada unidade precisa de uma key diferente")
        return self

    @model_validator(mode="after")
    def _waitlist_units(self) -> Settings:
        self.waitlist.check_units([unit.key for unit in self.units])
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
        raise ConfigError("o arquivo precisa ser uma lista de chaves (clinic:, units: …)")
    return data, lines


def _where(path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _refuse_repeated_units(
    data: dict[str, Any], lines: dict[tuple[Any, ...], int], path: Path
) -> None:
    """Two units with one key, reported at the second (the model's check knows no lines)."""
    units = data.get("units")
    seen: dict[Any, int] = {}
    for index, unit in enumerate(units if isinstance(units, list) else []):
        key = unit.get("key") if isinstance(unit, dict) else None
        if key is None:
            continue
        line = _where(("units", index, "key"), lines)
        if key in seen:
            raise ConfigError(
                f'{path}:{line}: units.{index}.key: a unidade "{key}" já aparece na linha '
                f"{seen[key]}: cada unidade precisa de uma key diferente"
            )
        seen[key] = line


def _beside_the_file(values: dict[str, Any], origin: dict[str, str], path: Path) -> None:
    """Relative folders written in config.yaml (or left at their default) are the project's:
    beside the file, wherever the command runs. A relative DATA_DIR from the environment
    stays the operator's, from the working directory."""
    if path.parent.resolve() == Path.cwd().resolve():
        return  # in the project's folder: paths stay as written (they show in messages)
    for key, default in (("data_dir", "var"), ("flows_dir", "flows")):
        if key in origin:
            continue
        given = values.get(key, default)
        if isinstance(given, str) and not Path(given).is_absolute():
            values[key] = path.parent / given


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
    named = config_path or lowered.get("digitaly_config") or dotenv.get("digitaly_config")
    path = Path(named or "config.yaml")
    file_data: dict[str, Any] = {}
    lines: dict[tuple[Any, ...], int] = {}
    if path.is_file():
        try:
            file_data, lines = _load_yaml_with_lines(path.read_text(encoding="utf-8"))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            line = f":{mark.line + 1}" if mark is not None else ""
            raise ConfigError(
                f"{path}{line}: YAML inválido ({exc.problem}): confira a indentação "
                "(espaços, nunca tab), os dois-pontos e as aspas"
            ) from None
        except ConfigError as exc:
            raise ConfigError(f"{path}:1: {exc}") from None
    elif named:
        raise ConfigError(f"DIGITALY_CONFIG: o arquivo {path} não existe")
    else:
        # Never an empty configuration: run from another folder, a command would open
        # another DATA_DIR and report an empty clinic as if it were this one.
        raise ConfigError(
            f"não há config.yaml em {Path.cwd()}: rode o digitaly na pasta do projeto "
            "ou diga onde ele está (--config ARQUIVO ou DIGITALY_CONFIG)"
        )
    for key in file_data:
        if key in _SECRETS:
            raise ConfigError(
                f"{path}:{lines.get((key,), 1)}: {key}: segredos vêm só do ambiente "
                f"(defina {key.upper()}), nunca de {path.name}"
            )

    _refuse_repeated_units(file_data, lines, path)
    values: dict[str, Any] = dict(file_data)
    origin: dict[str, str] = {}
    for source_name, source in ((".env", dotenv), ("environment", lowered)):
        for key in _ENV_KEYS:
            if key in source and source[key] != "":
                values[key] = source[key]
                origin[key] = source_name

    _beside_the_file(values, origin, path)
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
        if top in file_data or not loc:  # the clinic's staff edit the file: Portuguese
            raise ConfigError(f"{path}:{_where(loc, lines)}: {in_words(error)}") from None
        raise ConfigError(f"{key}: {message}") from None
