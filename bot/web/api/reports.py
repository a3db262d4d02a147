"""``GET /api/v1/reports?date=…[&unit=…]`` (the stored reports) and ``GET …/{id}`` (a file).

A report's file is the PDF by default, ``?format=csv`` for the spreadsheet.
Scope ``reports:read``. The list carries no patient data; the files do.
"""

from __future__ import annotations

import re
from datetime import date

from aiohttp import web

from bot.core.ports import ApiToken
from bot.web.api.auth import endpoint
from bot.web.api.errors import ApiError, invalid
from bot.web.api.models import FieldProblem
from bot.web.keys import ARCHIVE
from reports.archive import FORMATS

__all__ = ["routes"]

routes = web.RouteTableDef()

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UNIT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_ID = re.compile(r"^\d{4}-\d{2}-\d{2}\.[a-z0-9][a-z0-9_-]{0,63}\.(expected|summary)$")


def _day(text: str | None) -> date:
    if text is None or not _DATE.match(text):
        raise invalid(
            "invalid query parameters",
            [FieldProblem(path="query.date", message="a date, YYYY-MM-DD")],
        )
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid(
            "invalid query parameters", [FieldProblem(path="query.date", message="not a real date")]
        ) from None


@routes.get("/api/v1/reports")
@endpoint("reports:read")
async def list_reports(request: web.Request, token: ApiToken) -> web.StreamResponse:
    unknown = [name for name in request.query if name not in ("date", "unit")]
    if unknown:
        raise invalid(
            "invalid query parameters",
            [
                FieldProblem(path=f"query.{name[:64]}", message="unknown parameter (date, unit)")
                for name in unknown
            ],
        )
    day = _day(request.query.get("date"))
    unit = request.query.get("unit")
    if unit is not None and not _UNIT.match(unit):
        raise invalid(
            "invalid query parameters", [FieldProblem(path="query.unit", message="a unit key")]
        )
    found = await request.app[ARCHIVE].for_day(day, unit)
    items = []
    for report in found:
        item = report.as_json()
        item["links"] = {
            fmt: f"/api/v1/reports/{report.id}?format={fmt}" for fmt in item["formats"]
        }
        items.append(item)
    return web.json_response({"items": items})


@routes.get("/api/v1/reports/{report_id}")
@endpoint("reports:read")
async def get_report(request: web.Request, token: ApiToken) -> web.StreamResponse:
    report_id = request.match_info["report_id"]
    fmt = request.query.get("format", "pdf")
    if fmt not in FORMATS:
        raise invalid(
            "invalid query parameters", [FieldProblem(path="query.format", message="pdf or csv")]
        )
    found = await request.app[ARCHIVE].read(report_id, fmt) if _ID.match(report_id) else None
    if found is None:
        raise ApiError(404, "not_found", "no stored report with this id and format")
    file, data = found
    return web.Response(
        body=data,
        headers={
            "Content-Type": FORMATS[fmt],
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "ETag": f'"{file.sha256}"',
            "Cache-Control": "private, no-store",
        },
    )
