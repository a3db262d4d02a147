"""The simulator channel: outbound messages land in MongoDB (``simulator_messages``).

Used when no Twilio credentials are set (``make run``, demos); the simulator
page lists what was "sent". Always ACCEPTED: there is no network to lose.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from bot.clock import utcnow
from bot.core.ports import OutboundMessage, ProviderMessage, SendOutcome, SendResult

__all__ = ["COLLECTION", "SimulatorMessenger"]

COLLECTION = "simulator_messages"


class SimulatorMessenger:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.collection = db[COLLECTION]

    async def aclose(self) -> None:
        """Nothing to close: the database client belongs to the caller."""

    async def send(self, message: OutboundMessage) -> SendResult:
        sid = "SIM" + secrets.token_hex(16)
        await self.collection.insert_one(
            {
                "_id": sid,
                "key": message.key,
                "to": message.to,
                "sender": message.sender,
                "text": message.text,
                # A list's items show as buttons: a tap sends the item's id, as on WhatsApp.
                "buttons": [list(button) for button in message.buttons]
                or [[item_id, item] for item_id, item, _ in message.choices],
                "content_sid": message.content_sid,
                "variables": dict(message.variables),
                "created_at": utcnow(),
            }
        )
        return SendResult(SendOutcome.ACCEPTED, provider_sid=sid)

    async def received(self, to: str, since: datetime) -> list[ProviderMessage]:
        """Nothing to recover: the simulator page stores a patient's message itself."""
        return []

    async def find_sent(self, to: str, sender: str, since: datetime) -> list[ProviderMessage]:
        cursor = self.collection.find(
            {"to": to, "sender": sender, "created_at": {"$gte": since}}
        ).sort("created_at", ASCENDING)
        return [
            ProviderMessage(
                sid=doc["_id"],
                to=doc["to"],
                sender=doc["sender"],
                created_at=doc["created_at"],
                body=doc.get("text", ""),
            )
            async for doc in cursor
        ]
