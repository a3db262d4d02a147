"""Encryption at rest: sealed fields, blind indexes, and key rotation on the real server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.crypto import FieldCipher, create_cipher
from bot.adapters.mongo import MongoStore
from bot.adapters.mongo.sealing import Sealer, rotate
from bot.core.errors import ConfigError
from bot.core.model import Appointment

KEY_A = {"a1": bytes(range(32))}
KEY_B = {"b2": bytes(range(32, 64))}
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_seal_open_and_index() -> None:
    cipher = FieldCipher(KEY_A)
    sealed = cipher.seal("phone", "+5511987654321")
    assert sealed.startswith("enc:a1:")
    assert "5511987654321" not in sealed
    assert sealed != cipher.seal("phone", "+5511987654321")  # a fresh nonce each time
    assert cipher.open("phone", sealed) == "+5511987654321"
    assert cipher.index("+5511987654321") == cipher.index("+5511987654321")
    assert cipher.index("+5511987654321") != FieldCipher(KEY_B).index("+5511987654321")
    with pytest.raises(ConfigError, match="failed authentication"):
        cipher.open("patient_name", sealed)  # moved to another field
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(ConfigError):
        cipher.open("phone", tampered)
    with pytest.raises(ConfigError, match="not configured"):
        FieldCipher(KEY_B).open("phone", sealed)


def test_blind_index_is_the_stored_form_whatever_was_asked_before() -> None:
    """Remembered digests change nothing stored: each key's index is the HMAC of its own
    derived key, as before the memo, however often and in whatever order it is asked."""
    a, b = FieldCipher(KEY_A), FieldCipher(KEY_B)
    both = FieldCipher({**KEY_B, **KEY_A})
    phone = "+5511987654321"
    index_key = hmac.new(KEY_A["a1"], b"digitaly blind index v1", hashlib.sha256).digest()
    stored = "bi:a1:" + hmac.new(index_key, phone.encode(), hashlib.sha256).hexdigest()[:32]
    for _ in range(3):
        assert a.index(phone) == stored
        assert b.index(phone).startswith("bi:b2:")
        assert b.index(phone) != stored
        assert both.indexes(phone) == [b.index(phone), stored]
    assert a.index("+5511987654322") != stored


@pytest.mark.parametrize(
    "value", ["nope", "a1:short", "a-1:" + base64.b64encode(bytes(32)).decode()]
)
def test_bad_key_setting_is_a_config_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="DIGITALY_DATA_KEYS"):
        create_cipher(tmp_path, {"DIGITALY_DATA_KEYS": value})


def test_generated_key_is_kept(tmp_path: Path) -> None:
    first = create_cipher(tmp_path, {})
    assert (tmp_path / "data.key").stat().st_mode & 0o777 == 0o600
    assert create_cipher(tmp_path, {}).current_id == first.current_id


def test_generated_key_is_announced_once_per_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``digitaly run`` opens a store for each of web, worker and scheduler: one warning."""
    with caplog.at_level(logging.WARNING, logger="bot.adapters.crypto"):
        ciphers = [create_cipher(tmp_path, {}) for _ in range(3)]
    said = [r for r in caplog.records if "DIGITALY_DATA_KEYS is not set" in r.getMessage()]
    assert len(said) == 1
    assert len({cipher.current_id for cipher in ciphers}) == 1


async def test_rotation_re_seals_everything_and_lookups_keep_working(
    mongo_store: MongoStore,
) -> None:
    db = mongo_store.db
    old = MongoStore(db, Sealer(FieldCipher(KEY_A)))
    appointment = Appointment(
        "a1",
        "LEG-1",
        "Conceição Peçanha",
        "+5511987654321",
        NOW + timedelta(days=1),
        "Dra. Ana",
        "centro",
    )
    await old.appointments.upsert(appointment)
    await old.suppressions.add("+5511987654321", "opted out", NOW)

    both = Sealer(FieldCipher({**KEY_B, **KEY_A}))  # the new key first, the old still listed
    changed = await rotate(db, both)
    assert changed["appointments"] == 1
    assert changed["suppressions"] == 1
    raw = json.dumps(await db["appointments"].find().to_list(), default=str)
    assert "enc:a1:" not in raw
    assert "bi:a1:" not in raw
    assert await rotate(db, both) == {name: 0 for name in changed}  # nothing left to do

    new_only = MongoStore(db, Sealer(FieldCipher(KEY_B)))  # the old key removed
    stored = await new_only.appointments.get("a1")
    assert stored is not None
    assert (stored.patient_name, stored.phone) == ("Conceição Peçanha", "+5511987654321")
    assert [a.id for a in await new_only.appointments.for_phone("+5511987654321")] == ["a1"]
    assert await new_only.suppressions.is_suppressed("+5511987654321")
