"""Choosing the outbound channel: Twilio when credentials are set, else the simulator."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from bot.adapters.simulator import SimulatorMessenger
from bot.adapters.twilio import TwilioMessenger
from bot.settings import Settings

__all__ = ["create_messenger"]


def create_messenger(
    settings: Settings, db: AsyncDatabase[dict[str, Any]]
) -> TwilioMessenger | SimulatorMessenger:
    """The Messenger for these settings; call ``aclose()`` on it when done (inside the loop)."""
    if settings.twilio_enabled:
        return TwilioMessenger(settings)
    return SimulatorMessenger(db)
