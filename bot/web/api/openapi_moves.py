"""The OpenAPI operations of rescheduling: open slots in (``PUT /api/v1/slots``), moves out, acks.

Kept apart from ``openapi.py`` (appointments, cancellations, reports); its
paths are merged into the same document.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from bot.web.api.idempotency import HEADER, KEY_PATTERN
from bot.web.api.models import ID_PATTERN
from bot.web.api.openapi_parts import content, cursor_params, path_param, ref, responses
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
            "put": {
                "operationId": "pushSlots",
                "tags": ["slots"],
                "summary": "Create or update open times by external_id; withdraw what a full day lacks",
                "description": (
                    "Each item is created, updated, left unchanged or rejected on its own. "
                    "Sending the same batch again changes nothing. A unit day named in "
                    "`full_days` is listed completely: its open times missing from `items` are "
                    "withdrawn and no longer offered (only when no item is rejected). A time a "
                    "patient holds keeps its hold. With an `Idempotency-Key`, a repeat gets the "
                    "first answer again (24 hours)."
                ),
                "security": [{"bearer": ["slots:write"]}],
                "parameters": [
                    {
                        "name": HEADER,
                        "in": "header",
                        "required": False,
                        "description": "A new UUID per batch; resend it with a retried batch.",
                        "schema": {"type": "string", "pattern": KEY_PATTERN},
                    }
                ],
                "requestBody": {"required": True, "content": content(ref("SlotBatch"))},
                "responses": responses(
                    {
                        "200": {
                            "description": "The result for each item, in request order.",
                            "content": content(ref("SlotBatchResult")),
                        }
                    },
                    "409",
                    "413",
                    "422",
                ),
            }
        },
    }


def _reschedule_paths() -> dict[str, Any]:
    return {
        "/api/v1/reschedules": {
            "get": {
                "operationId": "listReschedules",
                "tags": ["reschedules"],
                "summary": "Moves patients chose, held and not yet acknowledged, oldest first",
                "description": (
                    "Each stays in this list until acknowledged or until its hold ends "
                    "(`hold_until`): start every run without `after`, and page with "
                    "`next_cursor`."
                ),
                "security": [{"bearer": ["reschedules:read"]}],
                "parameters": cursor_params("moves"),
                "responses": responses(
                    {
                        "200": {
                            "description": "A page of moves.",
                            "content": content(ref("ReschedulePage")),
                        }
                    },
                    "422",
                ),
            }
        },
        "/api/v1/reschedules/{reschedule_id}/ack": {
            "post": {
                "operationId": "acknowledgeReschedule",
                "tags": ["reschedules"],
                "summary": "Say whether a move was applied in the legacy system",
                "description": (
                    "Idempotent: the same result again answers 200 and changes nothing. The "
                    "other result, or any result after the hold ended (`hold_expired`: the "
                    "patient was told; undo the move in the legacy system), answers 409."
                ),
                "security": [{"bearer": ["reschedules:read"]}],
                "parameters": [path_param("reschedule_id", ID_PATTERN, "The move's id.")],
                "requestBody": {"required": True, "content": content(ref("RescheduleAckIn"))},
                "responses": responses(
                    {
                        "200": {
                            "description": "The move, acknowledged.",
                            "content": content(ref("RescheduleOut")),
                        }
                    },
                    "404",
                    "409",
                    "413",
                    "422",
                ),
            }
        },
    }


def paths() -> dict[str, Any]:
    return {**_slot_paths(), **_reschedule_paths()}
