"""The cyclic garbage collector and what a long-running process builds at start-up.

After start-up a serving process holds a large heap that lives as long as the
process: imported modules, the compiled flows (their machines and reply
models, which a :class:`bot.core.flow_registry.FlowRegistry` never forgets),
clients and their pools. Every full collection walks all of it, on the event
loop, in the middle of whatever request is running: measured in the web
process under the webhook bench (issue 20, third round, bench/README.md), one
under load in each of two runs, 226 and 431 ms, each a stall of every turn in
flight; none under load with the heap frozen.

``gc.freeze()`` (the ``gc`` module's documentation) moves every object tracked
now to a permanent generation that collections skip. Objects made later are
collected as before, a flow loaded by a later reload included; a frozen object
is still freed when its last reference goes (only a frozen cycle waits for a
collection that no longer comes, and what exists at start-up is kept anyway).
"""

from __future__ import annotations

import gc

__all__ = ["freeze_start_up"]


def freeze_start_up() -> int:
    """Collect the start-up's garbage, then freeze what is left; how many objects froze."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
