"""TokenService over the in-memory store: format, hashing, scopes, revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.memory import MemoryStore
from bot.core.errors import ConflictError, NotFoundError, ValidationError
from bot.services.tokens import TokenService, hash_token, new_token, well_formed
from tests.builders import FakeClock

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _service() -> tuple[TokenService, MemoryStore, FakeClock]:
    store, clock = MemoryStore(), FakeClock(NOW)
    return TokenService(store.tokens, clock), store, clock


def test_token_format_and_checksum() -> None:
    token = new_token()
    assert token.startswith("dgt_")
    assert well_formed(token)
    assert not well_formed(token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not well_formed("dgt_" + "a" * 43 + "_000000")
    assert not well_formed("Bearer x")
    assert new_token() != token


async def test_only_the_hash_is_stored_and_the_secret_authenticates() -> None:
    service, store, _ = _service()
    token, secret = await service.create("robot", ["appointments:write", "cancellations:read"])
    assert token.scopes == ("appointments:write", "cancellations:read")
    [stored] = store.tokens.items.values()
    assert stored.token_hash == hash_token(secret)
    assert secret not in repr(stored)
    found = await service.authenticate(secret)
    assert found is not None
    assert found.name == "robot"
    assert await service.authenticate(new_token()) is None


async def test_names_and_scopes_are_checked() -> None:
    service, _, _ = _service()
    with pytest.raises(ValidationError, match="scope"):
        await service.create("robot", ["appointments:delete"])
    with pytest.raises(ValidationError, match="scope"):
        await service.create("robot", [" "])
    with pytest.raises(ValidationError, match="names"):
        await service.create("Robot Centro", ["reports:read"])
    await service.create("robot", ["reports:read"])
    with pytest.raises(ConflictError):
        await service.create("robot", ["reports:read"])


async def test_revoke_applies_at_once_and_frees_the_name() -> None:
    service, _, _ = _service()
    _, secret = await service.create("robot", ["reports:read"])
    await service.revoke("robot")
    assert await service.authenticate(secret) is None
    with pytest.raises(NotFoundError):
        await service.revoke("robot")
    _, fresh = await service.create("robot", ["reports:read"])
    assert await service.authenticate(fresh) is not None
    assert await service.authenticate(secret) is None


async def test_last_used_is_written_at_most_once_a_minute() -> None:
    service, store, clock = _service()
    _, secret = await service.create("robot", ["reports:read"])
    await service.authenticate(secret)
    assert store.tokens.items["robot"].last_used_at == NOW
    clock.now = NOW + timedelta(seconds=30)
    await service.authenticate(secret)
    assert store.tokens.items["robot"].last_used_at == NOW
    clock.now = NOW + timedelta(minutes=2)
    await service.authenticate(secret)
    assert store.tokens.items["robot"].last_used_at == clock.now
