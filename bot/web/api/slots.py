"""``PUT /api/v1/slots``: the legacy system's open times, a batch by external_id."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from bot.core.ports import ApiToken, Slot
from bot.services.slots import SlotService
from bot.web.api.auth import endpoint
from bot.web.api.batches import Envelope, batch_results, check_items, read_batch
from bot.web.api.errors import invalid, problems
from bot.web.api.idempotency import idempotent
from bot.web.api.models import FieldProblem
from bot.web.api.slot_models import FullDay, SlotBatchResult, SlotBatchSummary, SlotIn
from bot.web.keys import SETTINGS, STORE

__all__ = ["routes"]

routes = web.RouteTableDef()


class _Envelope(Envelope):
    full_days: list[Any] = Field(default_factory=list, max_length=400)


def _slot(item: SlotIn, zones: Mapping[str, ZoneInfo]) -> Slot:
    return Slot(
        id=uuid.uuid4().hex,  # kept only if the slot is new
        external_id=item.external_id,
        unit=item.unit,
        doctor=item.doctor,
        specialty=item.specialty,
        starts_at=item.starts_at,
        duration_minutes=item.duration_minutes,
        day=item.starts_at.astimezone(zones[item.unit]).date().isoformat(),
        visit_type=item.visit_type,
    )


def _full_days(raw: Sequence[Any], units: list[str]) -> list[tuple[str, str]]:
    days: list[tuple[str, str]] = []
    errors: list[FieldProblem] = []
    for index, value in enumerate(raw):
        try:
            day = FullDay.model_validate(value, context={"units": units})
        except PydanticValidationError as exc:
            errors += problems(exc, f"full_days.{index}")
        else:
            days.append((day.unit, day.date.isoformat()))
    if errors:
        raise invalid("invalid full_days: nothing was written", errors)
    return days


@routes.put("/api/v1/slots")
@endpoint("slots:write")
async def put_slots(request: web.Request, token: ApiToken) -> web.StreamResponse:
    app = request.app
    settings = app[SETTINGS]
    shape = '{"items": [...], "full_days": [...]}'
    raw, envelope = await read_batch(request, settings.api, _Envelope, shape)
    zones = {unit.key: ZoneInfo(unit.timezone) for unit in settings.units}
    full_days = _full_days(envelope.full_days, list(zones))

    async def run() -> web.Response:
        valid, rejected = check_items(
            envelope.items, SlotIn, {"units": list(zones)}, lambda item: _slot(item, zones)
        )
        service = SlotService(app[STORE])
        pushed = await service.push_many([slot for _, slot in valid])
        withdrawn = 0
        if not rejected:  # a rejected item may be one of a full day's: withdraw nothing
            withdrawn = await service.withdraw_missing(full_days, [slot for _, slot in valid])
        items, counts = batch_results(
            rejected,
            (
                (index, outcome, stored.external_id, stored.id)
                for (index, _), (outcome, stored) in zip(valid, pushed, strict=True)
            ),
        )
        summary = SlotBatchSummary(
            **counts.model_dump(),
            withdrawn=withdrawn,
            full_days_applied=not rejected,
        )
        result = SlotBatchResult(summary=summary, items=items)
        return web.json_response(result.model_dump(mode="json"))

    return await idempotent(request, token, raw, run)
