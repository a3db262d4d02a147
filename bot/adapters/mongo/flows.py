"""Flow versions a conversation started on, in MongoDB (``flow_versions``)."""

from __future__ import annotations

from bot.adapters.mongo.repository import Repository

__all__ = ["MongoFlowVersions"]


class MongoFlowVersions(Repository):
    async def save(self, name: str, version: str, source: str) -> None:
        await self.collection.update_one(
            {"_id": f"{name}@{version}"},
            {"$setOnInsert": {"name": name, "version": version, "source": source}},
            upsert=True,
            session=self.session,
        )

    async def source(self, name: str, version: str) -> str | None:
        doc = await self.collection.find_one({"_id": f"{name}@{version}"}, session=self.session)
        return str(doc["source"]) if doc else None
