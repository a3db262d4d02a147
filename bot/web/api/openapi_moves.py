"""The OpenAPI operations of rescheduling: open slots in (``PUT /api/v1/slots``), moves out, acks.

Kept apart from ``openapi.py`` (appointments, cancellations, reports); its
paths are merged into the same document.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from bot.web.api.openapi_parts import ack_operation, batch_put, feed_operation
from bot.web.api.slot_models import (
    RescheduleAckIn,
    RescheduleOut,
    ReschedulePage,
    SlotBatch,
    SlotBatchResult,
)

__all__ = ["MODELS", "TAGS", "paths"]

MODELS: list[tuple[type[BaseModel], JsonSchemaMode]] = [
    (SlotBatch, "validation"),
    (SlotBatchResult, "serialization"),
    (RescheduleAckIn, "validation"),
    (RescheduleOut, "serialization"),
    (ReschedulePage, "serialization"),
]

TAGS = [
    {"name": "slots", "description": "Push the legacy agenda's open times."},
    {"name": "reschedules", "description": "Read the patients' moves and acknowledge them."},
]


def _slot_paths() -> dict[str, Any]:
    return {
        "/api/v1/slots": {
            "put": batch_put(
                "pushSlots",
                "slots",
                "Create or update open times by external_id; withdraw what a full day lacks",
                (
                    "Each item is created, updated, left unchanged or rejected on its own. "
                    "Sending the same batch again changes nothing. A unit day named in "
                    "`full_days` is listed completely: its open times missing from `items` are "
                    "withdrawn and no longer offered (only when no item is rejected). A time a "
                    "patient holds keeps its hold. With an `Idempotency-Key`, a repeat gets the "
                    "first answer again (24 hours)."
                ),
                batch="SlotBatch",
                result="SlotBatchResult",
            )
        },
    }


def _reschedule_paths() -> dict[str, Any]:
    return {
        "/api/v1/reschedules": {
            "get": feed_operation(
                "listReschedules",
                "reschedules",
                "Moves patients chose, held and not yet acknowledged, oldest first",
                (
                    "Each stays in this list until acknowledged or until its hold ends "
                    "(`hold_until`): start every run without `after`, and page with "
                    "`next_cursor`."
                ),
                items="moves",
                page="ReschedulePage",
            )
        },
        "/api/v1/reschedules/{reschedule_id}/ack": {
            "post": ack_operation(
                "acknowledgeReschedule",
                "reschedules",
                "Say whether a move was applied in the legacy system",
                (
                    "Idempotent: the same result again answers 200 and changes nothing. The "
                    "other result, or any result after the hold ended (`hold_expired`: the "
                    "patient was told; undo the move in the legacy system), answers 409."
                ),
                param=("reschedule_id", "The move's id."),
                body="RescheduleAckIn",
                answer=("RescheduleOut", "The move, acknowledged."),
            )
        },
    }


def paths() -> dict[str, Any]:
    return {**_slot_paths(), **_reschedule_paths()}
