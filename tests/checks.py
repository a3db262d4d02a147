"""Checks many tests share: a record is there, a process is still running."""

from __future__ import annotations

import os
from typing import TypeVar

__all__ = ["alive", "present"]

T = TypeVar("T")


def present(value: T | None) -> T:
    """``value``, which the test expects to exist (a record read back, a regex match)."""
    assert value is not None
    return value


def alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (a zombie counts until its parent reaps it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
