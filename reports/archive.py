"""Stored reports, as the API and the workers see them: records and the archive's port.

A run is keyed by (date, unit, kind) — its ``_id`` is ``2026-11-30.centro.summary``
(``rede`` for the whole network) — so a schedule firing in three schedulers, or
twice, stores one report. States: ``requested`` (the schedule fired; a worker
builds it) → ``stored`` (its PDF and CSV are kept). The MongoDB implementation
(GridFS) is :class:`bot.adapters.mongo.report_archive.MongoReportArchive`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from reports.build import NETWORK, BuiltReport
from reports.data import ReportKind

__all__ = ["FORMATS", "ReportArchive", "StoredFile", "StoredReport", "run_id"]

FORMATS = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


def run_id(day: date, unit: str | None, kind: ReportKind) -> str:
    return f"{day.isoformat()}.{unit or NETWORK}.{kind.value}"


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_id: str
    sha256: str
    size: int
    filename: str


@dataclass(frozen=True, slots=True)
class StoredReport:
    id: str
    date: date
    unit: str | None
    kind: ReportKind
    state: str
    requested_at: datetime | None = None
    created_at: datetime | None = None
    pages: int = 0
    files: dict[str, StoredFile] | None = None
    totals: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        """What the robot's API lists (no patient data)."""
        return {
            "id": self.id,
            "date": self.date.isoformat(),
            "unit": self.unit,
            "kind": self.kind.value,
            "state": self.state,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "pages": self.pages,
            "formats": {
                name: {"sha256": f.sha256, "size": f.size, "filename": f.filename}
                for name, f in (self.files or {}).items()
            },
            "totals": self.totals or {},
        }


class ReportArchive(Protocol):
    """Where built reports are kept: ``request`` a run, ``store`` its files, list and read them."""

    async def request(
        self, day: date, unit: str | None, kind: ReportKind, at: datetime
    ) -> StoredReport:
        """Record that this report is wanted (idempotent); return the run as stored."""
        ...

    async def store(self, built: BuiltReport, kind: ReportKind, at: datetime) -> StoredReport:
        """Upload the files and record them, unless this run was stored already."""
        ...

    async def get(self, report_id: str) -> StoredReport | None: ...
    async def for_day(self, day: date, unit: str | None = None) -> list[StoredReport]:
        """The stored reports of ``day`` (one unit's, or all, the network's included)."""
        ...

    async def requested_before(self, before: datetime, limit: int = 100) -> list[StoredReport]:
        """Runs still waiting for their build since before ``before`` (a lost task)."""
        ...

    async def touch_request(self, report_id: str, at: datetime) -> None:
        """Note a re-kick, so the next sweep waits again before kicking it once more."""
        ...

    async def read(self, report_id: str, fmt: str) -> tuple[StoredFile, bytes] | None:
        """The file's record and bytes; None when there is no such stored report or format."""
        ...
