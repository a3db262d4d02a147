"""Personal data encrypted at rest: AES-GCM per field, and keyed blind indexes.

Names, phone numbers and message texts are sealed before they reach MongoDB
(``enc:KEYID:base64(nonce|ciphertext)``, the field name as associated data, so
a value cannot be moved to another field). Phone numbers are also stored as a
keyed HMAC (``bi:...``) so that lookups by phone still work without the number
in clear.

Keys come from ``DIGITALY_DATA_KEYS`` (``id:base64key,id:base64key``; the first
encrypts, all decrypt and all are tried for lookups, so rotation needs no
downtime: add the new key first, run ``digitaly keys rotate``, then drop the
old one). Without it, the embedded default generates one under DATA_DIR and
says so in the log.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from dotenv import dotenv_values

from bot.adapters.secrets import local_secret
from bot.core.errors import ConfigError

__all__ = ["FieldCipher", "create_cipher", "generate_key"]

log = logging.getLogger(__name__)

_NONCE = 12
_PREFIX = "enc:"
_INDEX = "bi:"


@dataclass(frozen=True)
class _Key:
    id: str
    aead: AESGCM
    index: bytes  # HMAC key for blind indexes, derived from the data key


def _derive(key_id: str, raw: bytes) -> _Key:
    index = hmac.new(raw, b"digitaly blind index v1", hashlib.sha256).digest()
    return _Key(key_id, AESGCM(raw), index)


def generate_key() -> str:
    """A fresh key entry for DIGITALY_DATA_KEYS: ``id:base64``."""
    return f"{secrets.token_hex(4)}:{base64.b64encode(os.urandom(32)).decode()}"


class FieldCipher:
    """Seal and open field values; compute blind indexes for lookups."""

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        if not keys:
            raise ConfigError("DIGITALY_DATA_KEYS: at least one key is needed")
        self._keys = [_derive(key_id, raw) for key_id, raw in keys.items()]
        self._by_id = {key.id: key for key in self._keys}

    @property
    def current_id(self) -> str:
        return self._keys[0].id

    def seal(self, field: str, value: str) -> str:
        """Encrypt with the current key; the field name binds the value to its place."""
        key = self._keys[0]
        nonce = os.urandom(_NONCE)
        sealed = key.aead.encrypt(nonce, value.encode(), field.encode())
        return f"{_PREFIX}{key.id}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, field: str, value: str) -> str:
        """Decrypt a sealed value (a value stored before encryption is returned as is)."""
        if not value.startswith(_PREFIX):
            return value
        key_id, _, payload = value[len(_PREFIX) :].partition(":")
        key = self._by_id.get(key_id)
        if key is None:
            raise ConfigError(
                f"DIGITALY_DATA_KEYS: data sealed with key {key_id!r}, which is not configured"
            )
        raw = base64.b64decode(payload)
        try:
            return key.aead.decrypt(raw[:_NONCE], raw[_NONCE:], field.encode()).decode()
        except InvalidTag:
            raise ConfigError(
                f"a {field} value failed authentication (wrong key or tampered)"
            ) from None

    def is_current(self, value: str) -> bool:
        return value.startswith(f"{_PREFIX}{self.current_id}:") or value.startswith(
            f"{_INDEX}{self.current_id}:"
        )

    def index(self, value: str) -> str:
        """The blind index under the current key (what is stored)."""
        return self._index(self._keys[0], value)

    def indexes(self, value: str) -> list[str]:
        """The blind index under every configured key (what lookups match during a rotation)."""
        return [self._index(key, value) for key in self._keys]

    @staticmethod
    def _index(key: _Key, value: str) -> str:
        return _blind_index(key.id, key.index, value)


# A turn computes the same few blind indexes several times (the message's insert, the
# pending messages, the conversation by each form of the number, the outbox entry), each
# an HMAC through OpenSSL; a running process sees the same patients' numbers again and
# again. Bounded: at most this many numbers' digests are kept (0.6 MB, measured).
@functools.lru_cache(maxsize=2048)
def _blind_index(key_id: str, index_key: bytes, value: str) -> str:
    digest = hmac.new(index_key, value.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{_INDEX}{key_id}:{digest}"


def _parse(text: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        key_id, _, encoded = entry.partition(":")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            raw = b""
        if not key_id.isalnum() or len(raw) != 32:
            raise ConfigError(
                "DIGITALY_DATA_KEYS (environment variable): each entry must be ID:BASE64 of 32 bytes "
                "(make one with `digitaly keys generate`)"
            )
        keys[key_id] = raw
    return keys


def create_cipher(data_dir: Path, environ: Mapping[str, str] | None = None) -> FieldCipher:
    """The cipher from DIGITALY_DATA_KEYS, or from a key generated under DATA_DIR (with a warning)."""
    env = dict(os.environ) if environ is None else dict(environ)
    if environ is None and "DIGITALY_DATA_KEYS" not in env and Path(".env").is_file():
        # Like the settings: a .env file beside the config counts as environment.
        env.update({k: v for k, v in dotenv_values(".env").items() if v is not None})
    if configured := env.get("DIGITALY_DATA_KEYS", "").strip():
        return FieldCipher(_parse(configured))
    entry = local_secret(data_dir, "data.key", generate_key)
    _announce_generated_key(data_dir.resolve())
    return FieldCipher(_parse(entry))


# Once per process and key file: `digitaly run` opens a store for each of its roles (web,
# worker, scheduler, and again on the way out), and one warning says it all; a separate
# process still says it once in its own log.
@functools.cache
def _announce_generated_key(data_dir: Path) -> None:
    log.warning(
        "DIGITALY_DATA_KEYS is not set: using a key generated under DATA_DIR (keep it safe)"
    )
