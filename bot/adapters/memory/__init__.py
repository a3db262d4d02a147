"""In-memory twins of the storage ports, for pure unit tests and the flow CLI.

Same contracts as the Mongo adapters (duplicate keys refused, version-checked
saves, compare-and-set outbox updates), one module per aggregate; a
transaction restores the previous contents if its block raises.
"""

from bot.adapters.memory.sending import MemoryLocks, MemoryQueue
from bot.adapters.memory.store import MemoryStore
from bot.adapters.memory.throttle import MemoryLoginThrottle

__all__ = ["MemoryLocks", "MemoryLoginThrottle", "MemoryQueue", "MemoryStore"]
