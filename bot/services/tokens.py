"""API tokens for the RPA robot: created once, stored only as a hash, scoped, revocable.

A token reads ``dgt_<43 random url-safe characters>_<6-character checksum>``: the
prefix lets secret scanners (and our log check) recognise one, the checksum
refuses a mistyped token without a database read. Tokens are 256-bit random, so
an unsalted SHA-256 is enough to store them (no password hashing needed); the
digest is what the database is searched by, and the match is confirmed with a
constant-time comparison.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.core.errors import ConflictError, NotFoundError, ValidationError
from bot.core.ports import ApiToken, TokenRepository

__all__ = ["PREFIX", "SCOPES", "TokenService", "hash_token", "new_token", "well_formed"]

PREFIX = "dgt_"
SCOPES: dict[str, str] = {
    "appointments:write": "push appointments, read their state and the batch operations",
    "cancellations:read": "read the patients' cancellations and acknowledge them",
    "reports:read": "fetch the reports",
    "slots:write": "push the open times of the legacy agenda",
    "reschedules:read": "read the patients' moves to new times and acknowledge them",
}
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_SHAPE = re.compile(r"^dgt_([A-Za-z0-9_-]{43})_([0-9A-Za-z]{6})$")
_BASE62 = string.digits + string.ascii_letters
# last_used_at is written at most this often: not one write per request.
_TOUCH_EVERY = timedelta(minutes=1)


def _checksum(body: str) -> str:
    value = zlib.crc32(body.encode())
    chars = []
    for _ in range(6):
        value, digit = divmod(value, 62)
        chars.append(_BASE62[digit])
    return "".join(chars)


def new_token() -> str:
    """A fresh secret: shown once, never stored."""
    body = secrets.token_urlsafe(32)
    return f"{PREFIX}{body}_{_checksum(body)}"


def well_formed(token: str) -> bool:
    match = _SHAPE.match(token)
    return match is not None and hmac.compare_digest(match[2], _checksum(match[1]))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenService:
    tokens: TokenRepository
    clock: Clock

    async def create(self, name: str, scopes: Iterable[str]) -> tuple[ApiToken, str]:
        """Store a new token; return it and its secret (print it once, it is not kept)."""
        if not _NAME.match(name):
            raise ValidationError(
                "token names are 1-64 characters: lower-case letters, digits, '.', '_' or '-'"
            )
        wanted = tuple(sorted({scope.strip() for scope in scopes if scope.strip()}))
        unknown = [scope for scope in wanted if scope not in SCOPES]
        if unknown or not wanted:
            raise ValidationError(
                f"unknown scope(s) {', '.join(unknown) or '(none given)'}; "
                f"choose from {', '.join(SCOPES)}"
            )
        secret = new_token()
        token = ApiToken(name, hash_token(secret), wanted, self.clock())
        if not await self.tokens.add(token):
            raise ConflictError(f"a token named {name!r} exists; revoke it first")
        return token, secret

    async def all(self) -> list[ApiToken]:
        return await self.tokens.all()

    async def revoke(self, name: str) -> None:
        if not await self.tokens.revoke(name, self.clock()):
            raise NotFoundError(f"no active token named {name!r}")

    async def authenticate(self, secret: str) -> ApiToken | None:
        """The active token this secret belongs to, or None. Nothing is cached: a revoke applies at once."""
        if not well_formed(secret):
            return None
        digest = hash_token(secret)
        token = await self.tokens.by_hash(digest)
        if (
            token is None
            or not hmac.compare_digest(token.token_hash, digest)
            or token.revoked_at is not None
        ):
            return None
        now = self.clock()
        if token.last_used_at is None or token.last_used_at <= now - _TOUCH_EVERY:
            await self.tokens.touch(token.name, now, _TOUCH_EVERY)
        return token
