"""The report archive in MongoDB: files in GridFS (bucket ``reports``), one ``report_runs`` document each.

The first build to record its files wins; a later one deletes the files it
uploaded and returns the stored run. Indexes live with the others in
``bot.adapters.mongo.schema``.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from bson import ObjectId
from gridfs import AsyncGridFSBucket, NoFile
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from reports.archive import FORMATS, StoredFile, StoredReport, run_id
from reports.build import NETWORK, BuiltReport
from reports.data import ReportKind

__all__ = ["MongoReportArchive"]

Doc = dict[str, Any]
BUCKET = "reports"
RUNS = "report_runs"


def _stored(doc: Doc) -> StoredReport:
    files = {
        name: StoredFile(str(f["file_id"]), f["sha256"], int(f["size"]), f["filename"])
        for name, f in (doc.get("files") or {}).items()
    }
    return StoredReport(
        id=doc["_id"],
        date=date.fromisoformat(doc["date"]),
        unit=doc.get("unit"),
        kind=ReportKind(doc["kind"]),
        state=doc["state"],
        requested_at=doc.get("requested_at"),
        created_at=doc.get("created_at"),
        pages=int(doc.get("pages", 0)),
        files=files or None,
        totals=doc.get("totals"),
    )


def _filename(report_id: str, fmt: str) -> str:
    day, unit, kind = report_id.split(".")
    name = "presenca-prevista" if kind == ReportKind.EXPECTED.value else "resumo"
    return f"relatorio-{name}-{unit}-{day}.{fmt}"


class MongoReportArchive:
    """Reports in MongoDB (GridFS bucket ``reports``, one ``report_runs`` document each): ``request`` a run, ``store`` its files, list and read them back."""

    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.db = db
        self.runs = db[RUNS]
        self.bucket = AsyncGridFSBucket(db, bucket_name=BUCKET)

    async def request(
        self, day: date, unit: str | None, kind: ReportKind, at: datetime
    ) -> StoredReport:
        """Record that this report is wanted (idempotent); return the run as stored."""
        report_id = run_id(day, unit, kind)
        doc = {"date": day.isoformat(), "unit": unit, "kind": kind.value}
        await self.runs.update_one(
            {"_id": report_id},
            {"$setOnInsert": {**doc, "state": "requested", "requested_at": at}},
            upsert=True,
        )
        found = await self.get(report_id)
        assert found is not None
        return found

    async def store(self, built: BuiltReport, kind: ReportKind, at: datetime) -> StoredReport:
        """Upload the files and record them, unless this run was stored already."""
        report = built.report
        report_id = run_id(report.day, report.unit, kind)
        existing = await self.get(report_id)
        if existing is not None and existing.state == "stored":
            return existing
        files: dict[str, Doc] = {}
        for fmt, data in (("pdf", built.pdf.data), ("csv", built.csv)):
            digest = hashlib.sha256(data).hexdigest()
            filename = _filename(report_id, fmt)
            metadata = {
                "report_id": report_id, "date": report.day.isoformat(), "unit": report.unit,
                "kind": kind.value, "format": fmt, "created_at": at, "sha256": digest,
                "content_type": FORMATS[fmt],
            }  # fmt: skip
            file_id = await self.bucket.upload_from_stream(filename, data, metadata=metadata)
            files[fmt] = {
                "file_id": file_id,
                "sha256": digest,
                "size": len(data),
                "filename": filename,
            }
        totals = report.totals
        recorded = {
            "date": report.day.isoformat(), "unit": report.unit, "kind": kind.value,
            "state": "stored", "created_at": at, "pages": built.pdf.pages, "files": files,
            "totals": {
                "appointments": totals.appointments, "confirmed": totals.confirmed,
                "cancelled": totals.cancelled, "rescheduled": totals.rescheduled,
                "no_answer": totals.no_answer, "kept_silent": totals.kept_silent,
                "undelivered": totals.undelivered,
                "opted_out": totals.opted_out, "reminders_sent": totals.reminders_sent,
            },
        }  # fmt: skip
        try:
            result = await self.runs.update_one(
                {"_id": report_id, "state": {"$ne": "stored"}},
                {"$set": recorded, "$setOnInsert": {"requested_at": at}},
                upsert=True,
            )
            won = result.modified_count == 1 or result.upserted_id is not None
        except DuplicateKeyError:  # stored concurrently: the upsert found no match to update
            won = False
        if not won:
            for file in files.values():
                await self.bucket.delete(file["file_id"])
        stored = await self.get(report_id)
        assert stored is not None
        return stored

    async def get(self, report_id: str) -> StoredReport | None:
        doc = await self.runs.find_one({"_id": report_id})
        return _stored(doc) if doc else None

    async def for_day(self, day: date, unit: str | None = None) -> list[StoredReport]:
        """The stored reports of ``day`` (one unit's, or all, the network's included)."""
        query: Doc = {"date": day.isoformat(), "state": "stored"}
        if unit is not None:
            query["unit"] = None if unit == NETWORK else unit
        cursor = self.runs.find(query).sort([("unit", ASCENDING), ("kind", ASCENDING)])
        return [_stored(doc) async for doc in cursor]

    async def requested_before(self, before: datetime, limit: int = 100) -> list[StoredReport]:
        """Runs still waiting for their build since before ``before`` (a lost task)."""
        cursor = self.runs.find({"state": "requested", "requested_at": {"$lt": before}}).limit(
            limit
        )
        return [_stored(doc) async for doc in cursor]

    async def touch_request(self, report_id: str, at: datetime) -> None:
        """Note a re-kick, so the next sweep waits again before kicking it once more."""
        await self.runs.update_one(
            {"_id": report_id, "state": "requested"}, {"$set": {"requested_at": at}}
        )

    async def read(self, report_id: str, fmt: str) -> tuple[StoredFile, bytes] | None:
        """The file's record and bytes; None when there is no such stored report or format."""
        stored = await self.get(report_id)
        file = (stored.files or {}).get(fmt) if stored else None
        if file is None:
            return None
        try:
            stream = await self.bucket.open_download_stream(ObjectId(file.file_id))
        except NoFile:
            return None
        return file, await stream.read()
