"""All the in-memory repositories together; ``transaction()`` rolls back on an exception."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.adapters.memory.api import MemoryIdempotency, MemoryOperations, MemoryTokens
from bot.adapters.memory.appointments import MemoryAppointments
from bot.adapters.memory.cancellations import MemoryCancellations
from bot.adapters.memory.conversations import MemoryConversations
from bot.adapters.memory.flows import MemoryFlowVersions
from bot.adapters.memory.inbound import MemoryInbound
from bot.adapters.memory.outbox import MemoryDeadLetters, MemoryOutbox, MemoryStatuses
from bot.adapters.memory.pauses import MemorySenderPauses
from bot.adapters.memory.reschedules import MemoryReschedules
from bot.adapters.memory.slots import MemorySlots
from bot.adapters.memory.suppressions import MemorySuppressions
from bot.adapters.memory.waitlist import MemoryWaitlist

__all__ = ["MemoryStore"]


class MemoryStore:
    """All repositories in dicts; ``transaction()`` rolls back on an exception."""

    def __init__(self) -> None:
        self.appointments = MemoryAppointments()
        self.conversations = MemoryConversations()
        self.inbound = MemoryInbound()
        self.outbox = MemoryOutbox()
        self.statuses = MemoryStatuses(self.outbox)
        self.cancellations = MemoryCancellations()
        self.suppressions = MemorySuppressions()
        self.dead_letters = MemoryDeadLetters()
        self.flow_versions = MemoryFlowVersions()
        self.tokens = MemoryTokens()
        self.idempotency = MemoryIdempotency()
        self.operations = MemoryOperations()
        self.sender_pauses = MemorySenderPauses()
        self.slots = MemorySlots()
        self.reschedules = MemoryReschedules()
        self.waitlist = MemoryWaitlist()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryStore]:
        repositories = list(vars(self).values())
        saved = [copy.copy(repo.items) for repo in repositories]
        try:
            yield self
        except BaseException:
            for repo, items in zip(repositories, saved, strict=True):
                repo.items = items
            raise
