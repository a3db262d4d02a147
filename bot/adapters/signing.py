"""The key webhooks are signed with: Twilio's auth token, or the simulator's own.

Without Twilio credentials the simulator channel posts to the same webhook
path, signed with a random key kept under DATA_DIR (mode 0600), so the
signature check is never switched off.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from bot.settings import Settings

__all__ = ["signing_key"]


def signing_key(settings: Settings) -> str:
    if settings.twilio_auth_token is not None:
        return settings.twilio_auth_token.get_secret_value()
    path = settings.data_dir / "simulator.key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first
        return Path(path).read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
