"""Paused senders in MongoDB (``sender_pauses``, keyed by the sender: no patient data)."""

from __future__ import annotations

from datetime import datetime

from bot.adapters.mongo.repository import Repository
from bot.core.ports.pauses import SenderPause

__all__ = ["MongoSenderPauses"]


class MongoSenderPauses(Repository):
    async def pause(self, pause: SenderPause) -> None:
        # $max: a shorter pause reported later never cuts a longer one short.
        await self.collection.update_one(
            {"_id": pause.sender},
            {
                "$max": {"until": pause.until},
                "$set": {"error_code": pause.error_code, "at": pause.at},
            },
            upsert=True,
            session=self.session,
        )

    async def until(self, sender: str, now: datetime) -> datetime | None:
        doc = await self.collection.find_one(
            {"_id": sender, "until": {"$gt": now}}, session=self.session
        )
        return None if doc is None else doc["until"]

    async def active(self, now: datetime) -> list[SenderPause]:
        cursor = self.collection.find({"until": {"$gt": now}}, session=self.session).sort("_id")
        return [
            SenderPause(d["_id"], d["until"], d.get("error_code"), d["at"]) async for d in cursor
        ]
