"""The robot's API tokens, idempotency keys and long operations, in dicts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.core.ports import (
    ApiToken,
    IdempotencyRecord,
    Operation,
)

__all__ = ["MemoryIdempotency", "MemoryOperations", "MemoryTokens"]


class MemoryTokens:
    def __init__(self) -> None:
        self.items: dict[str, ApiToken] = {}

    async def add(self, token: ApiToken) -> bool:
        current = self.items.get(token.name)
        if current is not None and current.revoked_at is None:
            return False
        self.items[token.name] = token
        return True

    async def by_hash(self, token_hash: str) -> ApiToken | None:
        return next((t for t in self.items.values() if t.token_hash == token_hash), None)

    async def all(self) -> list[ApiToken]:
        return sorted(self.items.values(), key=lambda t: t.name)

    async def touch(self, name: str, at: datetime, every: timedelta) -> None:
        current = self.items.get(name)
        if current is not None and (
            current.last_used_at is None or current.last_used_at <= at - every
        ):
            self.items[name] = replace(current, last_used_at=at)

    async def revoke(self, name: str, at: datetime) -> bool:
        current = self.items.get(name)
        if current is None or current.revoked_at is not None:
            return False
        self.items[name] = replace(current, revoked_at=at)
        return True


class MemoryIdempotency:
    def __init__(self) -> None:
        self.items: dict[str, IdempotencyRecord] = {}

    async def claim(
        self, key: str, fingerprint: str, at: datetime, stale_after: timedelta
    ) -> IdempotencyRecord | None:
        current = self.items.get(key)
        if current is None or (current.status is None and current.created_at <= at - stale_after):
            self.items[key] = IdempotencyRecord(key, fingerprint, at)
            return None
        return current

    async def complete(self, key: str, status: int, body: str) -> None:
        if key in self.items:
            self.items[key] = replace(self.items[key], status=status, body=body)

    async def release(self, key: str) -> None:
        current = self.items.get(key)
        if current is not None and current.status is None:
            del self.items[key]


class MemoryOperations:
    def __init__(self) -> None:
        self.items: dict[str, Operation] = {}

    async def create(self, operation: Operation) -> None:
        self.items[operation.id] = operation

    async def get(self, operation_id: str) -> Operation | None:
        return self.items.get(operation_id)

    async def progress(self, operation_id: str, done: int, at: datetime) -> None:
        if operation_id in self.items:
            self.items[operation_id] = replace(self.items[operation_id], done=done, updated_at=at)

    async def succeed(self, operation_id: str, at: datetime, result: dict[str, Any]) -> None:
        if (current := self.items.get(operation_id)) is not None:
            self.items[operation_id] = replace(
                current,
                state="succeeded",
                done=current.total,
                result=result,
                error=None,
                updated_at=at,
            )

    async def fail(self, operation_id: str, at: datetime, error: str) -> None:
        if (current := self.items.get(operation_id)) is not None:
            self.items[operation_id] = replace(
                current, state="failed", result=None, error=error, updated_at=at
            )
