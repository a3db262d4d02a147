"""Structured logs: one JSON object a line, no patient data.

Callers put context in ``extra=``; phone numbers go through :func:`mask_phone`
first, names and message bodies are never logged.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "JsonFormatter",
    "configure_logging",
    "correlation_id",
    "mask_phone",
    "quiet_third_parties",
    "skip_record_lookups",
]

# The request's or task's id (a MessageSid where there is one), on every log line it causes.
correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def mask_phone(phone: str) -> str:
    """Keep the country code and the last two digits: +55*********21."""
    digits = phone.removeprefix("whatsapp:")
    if len(digits) <= 5:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        if (current := correlation_id.get()) is not None:
            entry["correlation_id"] = current
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr; chatty third-party loggers turned down."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_third_parties()


def skip_record_lookups() -> None:
    """Stop every log record from finding its caller's file and line, its thread and its
    process: our lines carry none of them, and the lookups are a third of a log call's
    cost (the logging HOWTO's "Optimization"). For the long-running processes, whose log
    calls are on the hot path; process-wide, so not in commands run inside the tests."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def quiet_third_parties() -> None:
    """Loggers that print what patients wrote or whole documents stay at WARNING."""
    # twilio logs request bodies at INFO; pymongo logs whole commands at DEBUG.
    for name, quiet in {
        "twilio": "WARNING",
        "pymongo": "WARNING",
        "taskiq": "WARNING",
        "aiohttp.access": "WARNING",
        "apscheduler": "WARNING",
    }.items():
        logging.getLogger(name).setLevel(quiet)
