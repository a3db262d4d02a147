"""The one clock: timezone-aware UTC now, passed to whatever needs the time.

Pure code never reads it (``now`` is an argument); the composition roots hand
``utcnow`` down, tests hand down a fake with the same signature.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "utcnow"]

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)
