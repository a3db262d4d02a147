"""Clinic staff: accounts (argon2 password hashes), login sessions and the audit log, in MongoDB.

A session cookie holds a random token; MongoDB keeps only its SHA-256, so a
leaked database does not let anyone in, and every process sees the same
sessions. Every staff action is appended to ``audit_log`` (who, what, which
conversation or appointment — never message text).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from bot.core.console import Session

__all__ = ["Session", "StaffDirectory"]

Doc = dict[str, Any]

_SESSION_TTL = timedelta(hours=12)
_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so both failures take the same time.

    Made at the first such login, off the loop, not at import: a hash is tens of
    milliseconds of CPU (most of a second on a loaded machine) that every process
    paid at start, logins or not."""
    return _HASHER.hash(secrets.token_hex(16))


# argon2 takes tens of milliseconds of CPU on purpose: never on the event loop, which
# carries the webhooks and the sends too. Two threads bound what a login storm can take.
_ARGON2 = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")


async def _off_loop(function: Any, *args: str | None) -> Any:
    return await asyncio.get_running_loop().run_in_executor(_ARGON2, function, *args)


def _matches(stored: str | None, password: str) -> bool:
    try:
        if stored is None:  # an unknown email: the same work, and never a match
            _HASHER.verify(_dummy_hash(), password)
            return False
        return bool(_HASHER.verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


async def _verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (None for an unknown email)."""
    return bool(await _off_loop(_matches, stored, password))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffDirectory:
    """Accounts in ``staff``, sessions in ``staff_sessions``, actions in ``audit_log``."""

    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.accounts = db["staff"]
        self.sessions = db["staff_sessions"]
        self.audit = db["audit_log"]

    async def ensure_indexes(self) -> None:
        await self.sessions.create_indexes(
            [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expiry")]
        )
        await self.audit.create_indexes([IndexModel([("at", DESCENDING)], name="at")])

    async def create(self, name: str, email: str, password: str, now: datetime) -> bool:
        """Add an account; False when the email is taken."""
        try:
            await self.accounts.insert_one(
                {
                    "_id": email.strip().lower(),
                    "name": name.strip(),
                    "password": await _off_loop(_HASHER.hash, password),
                    "created_at": now,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def accounts_list(self) -> list[Doc]:
        """Every account (without its password hash), by email."""
        cursor = self.accounts.find({}, {"password": 0}).sort("_id", ASCENDING)
        return [doc async for doc in cursor]

    async def set_disabled(self, email: str, disabled: bool) -> bool:
        """Disable (or enable) an account; a disabled account's sessions end at once.
        False when there is no such account."""
        key = email.strip().lower()
        found = await self.accounts.update_one({"_id": key}, {"$set": {"disabled": disabled}})
        if disabled:
            await self.sessions.delete_many({"email": key})
        return found.matched_count == 1

    async def reset_password(self, email: str, password: str) -> bool:
        """A new password; sessions opened with the old one end. False when there is no such
        account."""
        key = email.strip().lower()
        found = await self.accounts.update_one(
            {"_id": key}, {"$set": {"password": _HASHER.hash(password)}}
        )
        await self.sessions.delete_many({"email": key})
        return found.matched_count == 1

    async def log_in(self, email: str, password: str, now: datetime) -> Session | None:
        """A new session if the password matches, else None."""
        account = await self.accounts.find_one({"_id": email.strip().lower()})
        if not await _verify(account["password"] if account else None, password):
            return None
        if account is None or account.get("disabled"):
            return None
        if _HASHER.check_needs_rehash(account["password"]):
            rehashed = await _off_loop(_HASHER.hash, password)
            await self.accounts.update_one(
                {"_id": account["_id"]}, {"$set": {"password": rehashed}}
            )
        session = Session(
            token=secrets.token_urlsafe(32),
            email=account["_id"],
            name=account.get("name", ""),
            csrf=secrets.token_urlsafe(24),
            expires_at=now + _SESSION_TTL,
        )
        await self.sessions.insert_one(
            {
                "_id": _digest(session.token),
                "email": session.email,
                "name": session.name,
                "csrf": session.csrf,
                "expires_at": session.expires_at,
            }
        )
        return session

    async def session(self, token: str, now: datetime) -> Session | None:
        doc = await self.sessions.find_one({"_id": _digest(token)})
        if doc is None or doc["expires_at"] <= now:
            return None
        return Session(token, doc["email"], doc.get("name", ""), doc["csrf"], doc["expires_at"])

    async def log_out(self, token: str) -> None:
        await self.sessions.delete_one({"_id": _digest(token)})

    async def record(self, staff: str, action: str, now: datetime, **ids: str | None) -> None:
        """Append one action to the audit log (ids only: no message text, no patient data)."""
        await self.audit.insert_one(
            {"at": now, "staff": staff, "action": action, **{k: v for k, v in ids.items() if v}}
        )

    async def recent_actions(self, limit: int = 50) -> list[Doc]:
        return [doc async for doc in self.audit.find().sort("at", DESCENDING).limit(limit)]
