"""Errors that say what the caller should do.

BotError
├── ConfigError        bad configuration: fix the named key, the process stops (exit 2)
├── FlowError          a flow file is invalid: fix the file; the previous version keeps serving
├── NotFoundError      the thing asked for does not exist (HTTP 404)
├── ValidationError    the input is wrong: fix it and send again (HTTP 422)
├── ConflictError      someone else changed it first: re-read and retry (HTTP 409)
├── TransientError     a dependency is down or slow: retry later (HTTP 503)
└── PermanentError     it will never work as asked: do not retry
"""

from __future__ import annotations

__all__ = [
    "BotError",
    "ConfigError",
    "ConflictError",
    "FlowError",
    "NotFoundError",
    "PermanentError",
    "TransientError",
    "ValidationError",
]


class BotError(Exception):
    """Base of every error Digitaly raises on purpose."""

    code = "error"


class ConfigError(BotError):
    """The configuration is invalid; the message names the key and where it came from."""

    code = "config_error"


class FlowError(BotError):
    """A flow file failed validation; ``problems`` lists ``file:line: message`` strings."""

    code = "flow_error"

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class NotFoundError(BotError):
    code = "not_found"


class ValidationError(BotError):
    code = "invalid"


class ConflictError(BotError):
    code = "conflict"


class TransientError(BotError):
    code = "unavailable"


class PermanentError(BotError):
    code = "permanent"
