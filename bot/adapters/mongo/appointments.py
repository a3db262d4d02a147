"""Appointments in MongoDB (``appointments``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from pymongo import ASCENDING

from bot.adapters.codec import from_doc, to_doc
from bot.adapters.mongo.repository import Doc, Repository
from bot.core.model import Appointment, AppointmentStatus
from bot.core.ports import (
    UpsertOutcome,
)

__all__ = ["MongoAppointments"]


class MongoAppointments(Repository):
    async def upsert(
        self, appointment: Appointment, *, keep_status: frozenset[AppointmentStatus] = frozenset()
    ) -> UpsertOutcome:
        # Compared decoded: sealed values differ on every write (a fresh nonce each time).
        current = await self.get_by_external_id(appointment.external_id)
        kept = current is not None and current.status in keep_status
        if current is not None and current == replace(
            appointment,
            id=current.id,
            reminder_due_at=current.reminder_due_at,
            status=current.status if kept else appointment.status,
        ):
            return UpsertOutcome.UNCHANGED
        doc = self._enc(to_doc(appointment))
        doc_id = doc.pop("_id")
        doc.pop("reminder_due_at")  # the reminder service's, not the robot's
        # With keep_status the status goes in its own write, conditional on the stored one,
        # so a patient's answer landing between the read above and this write survives.
        status = doc.pop("status") if keep_status else None
        on_insert = {"_id": doc_id} if status is None else {"_id": doc_id, "status": status}
        result = await self._upsert({"external_id": appointment.external_id}, doc, on_insert)
        if result.upserted_id is not None:
            return UpsertOutcome.CREATED
        changed = result.modified_count
        if status is not None:
            unless = [value.value for value in keep_status] + [status]
            changed += (
                await self.collection.update_one(
                    {"external_id": appointment.external_id, "status": {"$nin": unless}},
                    {"$set": {"status": status}},
                    session=self.session,
                )
            ).modified_count
        return UpsertOutcome.UPDATED if changed else UpsertOutcome.UNCHANGED

    async def get(self, appointment_id: str) -> Appointment | None:
        doc = await self.collection.find_one({"_id": appointment_id}, session=self.session)
        return from_doc(Appointment, self._dec(doc)) if doc else None

    async def get_by_external_id(self, external_id: str) -> Appointment | None:
        doc = await self.collection.find_one({"external_id": external_id}, session=self.session)
        return from_doc(Appointment, self._dec(doc)) if doc else None

    async def set_status(self, appointment_id: str, status: AppointmentStatus) -> None:
        await self.collection.update_one(
            {"_id": appointment_id}, {"$set": {"status": status.value}}, session=self.session
        )

    async def for_phone(self, phone: str) -> list[Appointment]:
        cursor = self.collection.find(
            {"phone": {"$in": self.sealer.phones([phone])}}, session=self.session
        ).sort("starts_at")
        return [from_doc(Appointment, self._dec(doc)) async for doc in cursor]

    async def set_reminder_due(self, appointment_id: str, due_at: datetime | None) -> None:
        change = (
            {"$set": {"reminder_due_at": due_at}} if due_at else {"$unset": {"reminder_due_at": ""}}
        )
        await self.collection.update_one({"_id": appointment_id}, change, session=self.session)

    async def reminders_due(self, now: datetime, limit: int) -> list[Appointment]:
        cursor = (
            self.collection.find({"reminder_due_at": {"$lte": now}}, session=self.session)
            .sort("reminder_due_at", ASCENDING)
            .limit(limit)
        )
        return [from_doc(Appointment, self._dec(doc)) async for doc in cursor]

    def _window(self, start: datetime, end: datetime, unit: str | None) -> Doc:
        query: Doc = {"starts_at": {"$gte": start, "$lt": end}}
        if unit is not None:
            query["unit"] = unit
        return query

    async def between(
        self, start: datetime, end: datetime, unit: str | None = None
    ) -> list[Appointment]:
        cursor = self.collection.find(self._window(start, end, unit), session=self.session)
        return [from_doc(Appointment, self._dec(doc)) async for doc in cursor.sort("starts_at")]

    async def status_times(
        self, start: datetime, end: datetime, unit: str | None = None
    ) -> list[tuple[datetime, AppointmentStatus]]:
        cursor = self.collection.find(
            self._window(start, end, unit),
            projection={"_id": 0, "starts_at": 1, "status": 1},
            session=self.session,
        )
        return [(doc["starts_at"], AppointmentStatus(doc["status"])) async for doc in cursor]
