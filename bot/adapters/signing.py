"""The key webhooks are signed with: Twilio's auth token, or the simulator's own.

Without Twilio credentials the simulator channel posts to the same webhook
path, signed with a random key kept under DATA_DIR, so the signature check is
never switched off.
"""

from __future__ import annotations

from bot.adapters.secrets import local_secret
from bot.settings import Settings

__all__ = ["signing_key"]


def signing_key(settings: Settings) -> str:
    if settings.twilio_auth_token is not None:
        return settings.twilio_auth_token.get_secret_value()
    return local_secret(settings.data_dir, "simulator.key")
