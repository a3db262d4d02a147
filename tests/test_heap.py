"""The start-up heap frozen out of the collector's walks; what comes later is collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bot.heap import freeze_start_up


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture
def frozen() -> Iterator[int]:
    kept = _Node()
    try:
        yield freeze_start_up()
        assert gc.get_freeze_count() > 0
        assert not any(o is kept for o in gc.get_objects())  # frozen: no collection walks it
    finally:
        gc.unfreeze()  # the rest of the suite runs with an ordinary collector


def test_later_cycles_are_still_collected(frozen: int) -> None:
    assert frozen > 1000  # the modules and objects imported so far
    later = _Node()
    gone = weakref.ref(later)
    del later
    gc.collect()
    assert gone() is None
