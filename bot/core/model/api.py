"""The robot's API: tokens, idempotency keys, long operations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["ApiToken", "IdempotencyRecord", "Operation"]


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An API token, as stored: only the SHA-256 of the secret is kept."""

    name: str
    token_hash: str  # hex sha256 of the whole token
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """The first answer given to a request carrying an ``Idempotency-Key``."""

    key: str  # scoped by the caller: token, route, client key
    fingerprint: str  # sha256 of the request body
    created_at: datetime
    status: int | None = None  # None while the first request is still running
    body: str | None = None  # the JSON answer, as sent


@dataclass(frozen=True, slots=True)
class Operation:
    """A long request (a large batch) running in the background; any process can report it."""

    id: str
    kind: str
    owner: str  # the token name that started it: only it may read it
    created_at: datetime
    updated_at: datetime
    total: int
    done: int = 0
    state: str = "running"  # running | succeeded | failed
    result: dict[str, Any] | None = None
    error: str | None = None
