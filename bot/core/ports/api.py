"""Storing the robot's API tokens, idempotency keys and long operations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.core.model import (
    ApiToken,
    IdempotencyRecord,
    Operation,
)

__all__ = ["IdempotencyRepository", "OperationRepository", "TokenRepository"]


class TokenRepository(Protocol):
    async def add(self, token: ApiToken) -> bool:
        """Store a new token; False when an unrevoked token has this name (a revoked one is replaced)."""
        ...

    async def by_hash(self, token_hash: str) -> ApiToken | None: ...
    async def all(self) -> list[ApiToken]:
        """Every token, by name."""
        ...

    async def touch(self, name: str, at: datetime, every: timedelta) -> None:
        """Set ``last_used_at`` to ``at`` unless it was set less than ``every`` before."""
        ...

    async def revoke(self, name: str, at: datetime) -> bool:
        """False when there is no unrevoked token by that name."""
        ...


class IdempotencyRepository(Protocol):
    async def claim(
        self, key: str, fingerprint: str, at: datetime, stale_after: timedelta
    ) -> IdempotencyRecord | None:
        """Take the key; None when the caller now owns it, else the record that holds it.

        A claim left unanswered for ``stale_after`` (its process died) is taken over.
        """
        ...

    async def complete(self, key: str, status: int, body: str) -> None: ...
    async def release(self, key: str) -> None:
        """Forget an unanswered claim (the request failed: a retry may run it again)."""
        ...


class OperationRepository(Protocol):
    async def create(self, operation: Operation) -> None: ...
    async def get(self, operation_id: str) -> Operation | None: ...
    async def progress(self, operation_id: str, done: int, at: datetime) -> None: ...
    async def succeed(self, operation_id: str, at: datetime, result: dict[str, Any]) -> None:
        """Mark it succeeded with ``result``: every item is done."""
        ...

    async def fail(self, operation_id: str, at: datetime, error: str) -> None:
        """Mark it failed with ``error`` (what the caller should do); ``done`` stays."""
        ...
