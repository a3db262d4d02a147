"""Assertions many tests share."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["present"]

T = TypeVar("T")


def present(value: T | None) -> T:
    """``value``, which the test expects to exist (a record read back, a regex match)."""
    assert value is not None
    return value
