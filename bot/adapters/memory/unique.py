"""The in-memory reading of a unique index: an insert that refuses a key already there."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["insert_new"]

K = TypeVar("K")
V = TypeVar("V")


def insert_new(items: dict[K, V], key: K, value: V) -> bool:
    """Store ``value`` under ``key``; False (and nothing changed) when ``key`` is taken."""
    if key in items:
        return False
    items[key] = value
    return True
