"""``GET /openapi.json``: the API's OpenAPI 3.1 document, built from the pydantic models.

Schemas come from ``models.py`` (pydantic's JSON Schema, which OpenAPI 3.1
uses as is); this module adds the operations, their parameters, every status
code each can answer, and the bearer scheme. The configured unit keys and batch
size are written in, so the document matches this installation.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from bot.settings import Settings
from bot.web.api import openapi_moves
from bot.web.api.models import (
    EXTERNAL_ID_PATTERN,
    ID_PATTERN,
    AckIn,
    AppointmentBatch,
    AppointmentOut,
    BatchResult,
    CancellationPage,
    ErrorResponse,
    OperationOut,
)
from bot.web.api.openapi_parts import (
    DESCRIPTION,
    REF,
    ack_operation,
    batch_put,
    content,
    feed_operation,
    header,
    path_param,
    ref,
    responses,
)
from bot.web.keys import OPENAPI

__all__ = ["build_openapi", "routes"]

routes = web.RouteTableDef()

_MODELS: list[tuple[type[BaseModel], JsonSchemaMode]] = [
    (AppointmentBatch, "validation"),
    (AckIn, "validation"),
    (BatchResult, "serialization"),
    (OperationOut, "serialization"),
    (AppointmentOut, "serialization"),
    (CancellationPage, "serialization"),
    (ErrorResponse, "serialization"),
    *openapi_moves.MODELS,
]


def _paths() -> dict[str, Any]:
    return {
        "/api/v1/appointments": {
            "put": batch_put(
                "pushAppointments",
                "appointments",
                "Create or update appointments by external_id",
                (
                    "Each item is created, updated, left unchanged or rejected on its own "
                    "(a rejected item writes nothing; the others are written). Sending the same "
                    "batch again changes nothing. A moved start time starts a new reminder "
                    "cycle; `cancelled` stops the patient's conversation. Batches larger than "
                    "the configured threshold answer 202 with an operation to poll. With an "
                    "`Idempotency-Key`, a repeat gets the first answer again (24 hours)."
                ),
                batch="AppointmentBatch",
                result="BatchResult",
                more={
                    "202": {
                        "description": "A large batch, accepted: poll the operation.",
                        "headers": {"Location": header("The operation's URL", required=False)},
                        "content": content(ref("OperationOut")),
                    }
                },
            )
        },
        "/api/v1/appointments/{external_id}": {
            "get": {
                "operationId": "getAppointment",
                "tags": ["appointments"],
                "summary": "An appointment's state: reminders, delivery, the patient's answer",
                "security": [{"bearer": ["appointments:write"]}],
                "parameters": [
                    path_param("external_id", EXTERNAL_ID_PATTERN, "The legacy system's id.")
                ],
                "responses": responses(
                    {
                        "200": {
                            "description": "The appointment.",
                            "content": content(ref("AppointmentOut")),
                        }
                    },
                    "404",
                ),
            }
        },
        "/api/v1/cancellations": {
            "get": feed_operation(
                "listCancellations",
                "cancellations",
                "Cancellations patients asked for, not yet acknowledged, oldest first",
                (
                    "Each stays in this list until acknowledged: start every run without "
                    "`after`, and page with `next_cursor`."
                ),
                items="cancellations",
                page="CancellationPage",
            )
        },
        "/api/v1/cancellations/{cancellation_id}/ack": {
            "post": ack_operation(
                "acknowledgeCancellation",
                "cancellations",
                "Say whether a cancellation was applied in the legacy system",
                (
                    "Idempotent: the same result again answers 200 and changes nothing; "
                    "the other result answers 409. `failed` puts it on the staff's list."
                ),
                param=("cancellation_id", "The cancellation's id."),
                body="AckIn",
                answer=("CancellationOut", "The cancellation, acknowledged."),
            )
        },
        "/api/v1/operations/{operation_id}": {
            "get": {
                "operationId": "getOperation",
                "tags": ["appointments"],
                "summary": "A large batch's progress, and its result once done",
                "security": [{"bearer": ["appointments:write"]}],
                "parameters": [path_param("operation_id", ID_PATTERN, "From the 202 answer.")],
                "responses": responses(
                    {
                        "200": {
                            "description": "The operation.",
                            "content": content(ref("OperationOut")),
                        }
                    },
                    "404",
                ),
            }
        },
    }


_REPORT_FILE = {"type": "object", "additionalProperties": {"type": "object"}}
_REPORT_ITEM = {
    "type": "object",
    "required": ["id", "date", "unit", "kind", "state", "formats", "links"],
    "properties": {
        "id": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "unit": {"type": "string", "description": "A unit key, or `rede` for the whole network."},
        "kind": {"type": "string", "enum": ["expected", "summary"]},
        "state": {"type": "string"},
        "created_at": {"type": ["string", "null"], "format": "date-time"},
        "pages": {"type": ["integer", "null"]},
        "formats": _REPORT_FILE,
        "totals": {"type": "object"},
        "links": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def _report_paths() -> dict[str, Any]:
    """The stored daily reports (built by the scheduler; see reports/)."""
    return {
        "/api/v1/reports": {
            "get": {
                "operationId": "listReports",
                "tags": ["reports"],
                "summary": "The reports stored for a day (no patient data in the list)",
                "security": [{"bearer": ["reports:read"]}],
                "parameters": [
                    {
                        "name": "date",
                        "in": "query",
                        "required": True,
                        "description": "The day, YYYY-MM-DD.",
                        "schema": {"type": "string", "format": "date"},
                    },
                    {
                        "name": "unit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]{0,63}$"},
                    },
                ],
                "responses": responses(
                    {
                        "200": {
                            "description": "The day's reports, each with links to its files.",
                            "content": content(
                                {
                                    "type": "object",
                                    "required": ["items"],
                                    "properties": {
                                        "items": {"type": "array", "items": _REPORT_ITEM}
                                    },
                                }
                            ),
                        }
                    },
                    "422",
                ),
            }
        },
        "/api/v1/reports/{report_id}": {
            "get": {
                "operationId": "getReport",
                "tags": ["reports"],
                "summary": "A stored report's file: the PDF, or `?format=csv`",
                "security": [{"bearer": ["reports:read"]}],
                "parameters": [
                    path_param("report_id", r"^[0-9a-z._-]{1,100}$", "From the list's `id`."),
                    {
                        "name": "format",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["pdf", "csv"], "default": "pdf"},
                    },
                ],
                "responses": responses(
                    {
                        "200": {
                            "description": "The file.",
                            "content": {
                                "application/pdf": {
                                    "schema": {"type": "string", "format": "binary"}
                                },
                                "text/csv": {"schema": {"type": "string"}},
                            },
                        }
                    },
                    "404",
                    "422",
                ),
            }
        },
    }


def build_openapi(settings: Settings) -> dict[str, Any]:
    """The document for this installation (its units, its batch size)."""
    _, top = models_json_schema(_MODELS, ref_template=REF)
    schemas: dict[str, Any] = top["$defs"]
    schemas["AppointmentIn"]["properties"]["unit"]["enum"] = [unit.key for unit in settings.units]
    schemas["AppointmentBatch"]["properties"]["items"]["maxItems"] = settings.api.max_batch
    units = [unit.key for unit in settings.units]
    for name in ("SlotIn", "FullDay"):
        schemas[name]["properties"]["unit"]["enum"] = units
    schemas["SlotBatch"]["properties"]["items"]["maxItems"] = settings.api.max_batch
    return {
        "openapi": "3.1.0",
        "info": {"title": "Digitaly robot API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "tags": [
            {"name": "appointments", "description": "Push appointments, read their state."},
            {"name": "cancellations", "description": "Read and acknowledge cancellations."},
            {"name": "reports", "description": "Download the daily reports (PDF, CSV)."},
            *openapi_moves.TAGS,
        ],
        "paths": {**_paths(), **_report_paths(), **openapi_moves.paths()},
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `digitaly tokens create` (dgt_...).",
                }
            },
        },
    }


@routes.get("/openapi.json")
async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI])
