"""Optional OpenTelemetry tracing: off unless the standard ``OTEL_*`` variables ask for it.

One patient's reply is one trace: the webhook's server span, the taskiq enqueue
(its context carried to the worker as a W3C ``traceparent`` task label), the
worker's task span, and the HTTP call to Twilio, with the MongoDB and Redis
calls of each step beneath. What leaves the process is scrubbed first
(:mod:`bot.tracing.scrub`): no phone, name or message text in any attribute.

This module imports nothing of OpenTelemetry: while tracing is off (the
default) the process starts and runs exactly as without it. The SDK and the
instrumentations are the ``tracing`` extra; asked for without it, the process
says so once and runs untraced. Instrumentation is process-wide by nature
(OpenTelemetry patches aiohttp, pymongo and redis), so the one active set-up is
kept here, not passed around.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from taskiq import TaskiqMiddleware

from bot.core.errors import ConfigError

if TYPE_CHECKING:
    from bot.tracing.sdk import Tracing

__all__ = [
    "exporter_names",
    "requested",
    "service_name",
    "start_tracing",
    "stop_tracing",
    "task_middlewares",
]

log = logging.getLogger(__name__)

_EXPORTERS = {"otlp", "console"}
_PROTOCOL = "http/protobuf"  # the extra ships the OTLP/HTTP exporter, not gRPC

_active: list[Tracing] = []


def requested(environ: Mapping[str, str]) -> bool:
    """Whether the environment turns tracing on, by the standard variables only.

    On when ``OTEL_TRACES_EXPORTER`` names an exporter, or an OTLP endpoint is
    set; ``OTEL_SDK_DISABLED=true`` and ``OTEL_TRACES_EXPORTER=none`` win.
    """
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = _exporter_names(environ)
    if exporters:
        return exporters != ["none"]
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
        or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    )


def service_name(role: str, environ: Mapping[str, str]) -> str:
    """``OTEL_SERVICE_NAME`` if set, else ``digitaly-<role>``."""
    return environ.get("OTEL_SERVICE_NAME", "").strip() or f"digitaly-{role}"


def exporter_names(environ: Mapping[str, str]) -> list[str]:
    """The exporters to build (``otlp`` unless ``OTEL_TRACES_EXPORTER`` says otherwise).

    Raises ConfigError for one this installation cannot build.
    """
    names = _exporter_names(environ) or ["otlp"]
    unknown = [name for name in names if name not in _EXPORTERS]
    if unknown:
        raise ConfigError(
            f"OTEL_TRACES_EXPORTER={','.join(names)}: supported are otlp, console or none"
        )
    for key in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        protocol = environ.get(key, "").strip()
        if protocol:
            if protocol != _PROTOCOL:
                raise ConfigError(f"{key}={protocol}: only {_PROTOCOL} is installed")
            break
    return names


def start_tracing(
    role: str, environ: Mapping[str, str], *, exporters: Sequence[Any] | None = None
) -> Tracing | None:
    """Set tracing up for this process if the environment asks for it.

    Returns the running set-up (stop it with :func:`stop_tracing` to flush), or
    None when tracing is off or the ``tracing`` extra is not installed (one
    warning). ``exporters`` replaces the ones the environment names (tests).
    Raises ConfigError for an exporter or protocol that cannot be honoured.
    """
    if exporters is None:
        if not requested(environ):
            return None
        exporter_names(environ)  # a bad value is refused before anything starts
    try:
        from bot.tracing.sdk import install
    except ImportError as exc:
        log.warning(
            "OTEL_* variables ask for tracing but the 'tracing' extra is not installed "
            "(pip install 'digitaly[tracing]'); running without traces",
            extra={"missing": exc.name},
        )
        return None
    tracing = install(role, environ, exporters=exporters)
    _active.append(tracing)
    log.info("tracing on", extra={"service": tracing.service})
    return tracing


def stop_tracing(tracing: Tracing) -> None:
    """Remove the instrumentation and send what is still buffered."""
    if tracing in _active:
        _active.remove(tracing)
    tracing.stop()


def task_middlewares() -> list[TaskiqMiddleware]:
    """taskiq's own OpenTelemetry middleware while tracing is on; nothing otherwise."""
    if not _active:
        return []
    return [_active[-1].task_middleware()]


def _exporter_names(environ: Mapping[str, str]) -> list[str]:
    raw = environ.get("OTEL_TRACES_EXPORTER", "")
    return [name.strip().lower() for name in raw.split(",") if name.strip()]
