"""/openapi.json is a valid OpenAPI 3.1 document; /docs serves Swagger UI from the package."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate

from tests.api.conftest import Client

_METHODS = {"get", "put", "post", "delete", "patch"}


async def test_document_is_valid_openapi_31(client: Client) -> None:
    response = await client.get("/openapi.json")
    assert response.status == 200
    document: dict[str, Any] = await response.json()
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    assert document["openapi"] == "3.1.0"
    schemas = document["components"]["schemas"]
    assert schemas["AppointmentIn"]["additionalProperties"] is False
    assert schemas["AppointmentIn"]["properties"]["unit"]["enum"] == ["centro", "paulista"]
    assert schemas["AppointmentBatch"]["properties"]["items"]["maxItems"] == 1000


async def test_every_operation_documents_its_errors(client: Client) -> None:
    document = await (await client.get("/openapi.json")).json()
    operations = {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in _METHODS
    }
    assert set(operations) == {
        "PUT /api/v1/appointments",
        "GET /api/v1/appointments/{external_id}",
        "GET /api/v1/cancellations",
        "POST /api/v1/cancellations/{cancellation_id}/ack",
        "GET /api/v1/operations/{operation_id}",
        "GET /api/v1/reports",
        "GET /api/v1/reports/{report_id}",
        "PUT /api/v1/slots",
        "GET /api/v1/reschedules",
        "POST /api/v1/reschedules/{reschedule_id}/ack",
    }
    for name, operation in operations.items():
        codes = set(operation["responses"])
        assert {"200", "401", "403", "429", "503"} <= codes, name
        assert operation["security"], name
        if "requestBody" in operation:
            assert {"413", "422"} <= codes, name
        if "{" in name:
            assert "404" in codes, name
    assert "202" in operations["PUT /api/v1/appointments"]["responses"]
    assert "409" in operations["POST /api/v1/cancellations/{cancellation_id}/ack"]["responses"]
    retry = operations["GET /api/v1/cancellations"]["responses"]["429"]["headers"]
    assert "Retry-After" in retry


async def test_docs_page_uses_only_shipped_files(client: Client) -> None:
    response = await client.get("/docs")
    assert response.status == 200
    page = await response.text()
    assert "http://" not in page
    assert "https://" not in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    for asset in (
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "digitaly-init.js",
        "favicon-32x32.png",
    ):
        assert f"/docs/assets/{asset}" in page
        served = await client.get(f"/docs/assets/{asset}")
        assert served.status == 200, asset
        assert len(await served.read()) > 100, asset
