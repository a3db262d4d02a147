"""Numbers that opted out, in MongoDB (``suppressions``, keyed by the number's blind index)."""

from __future__ import annotations

from datetime import datetime

from bot.adapters.mongo.repository import Repository

__all__ = ["MongoSuppressions"]


class MongoSuppressions(Repository):
    """``_id`` is the number's blind index: suppressing twice changes nothing."""

    async def is_suppressed(self, *phones: str) -> bool:
        found = await self.collection.find_one(
            {"_id": {"$in": self.sealer.phones(list(phones))}},
            projection={"_id": 1},
            session=self.session,
        )
        return found is not None

    async def add(self, phone: str, reason: str, at: datetime) -> bool:
        result = await self.collection.update_one(
            {"_id": {"$in": self.sealer.phones([phone])}},
            {
                "$setOnInsert": {
                    "_id": self.sealer.cipher.index(phone),
                    "phone_enc": self.sealer.cipher.seal("phone", phone),
                    "reason": reason,
                    "at": at,
                }
            },
            upsert=True,
            session=self.session,
        )
        return result.upserted_id is not None

    async def remove(self, phone: str) -> bool:
        result = await self.collection.delete_many(
            {"_id": {"$in": self.sealer.phones([phone])}}, session=self.session
        )
        return result.deleted_count >= 1
