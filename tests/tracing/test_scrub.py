"""The scrubbing processor: what an instrumentation might record never leaves the process."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from bot.tracing.scrub import MASK, ScrubbingProcessor

PHONE = "+5511987654321"


@pytest.fixture
def recorded() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(ScrubbingProcessor(SimpleSpanProcessor(exporter)))
    return provider, exporter


def test_values_are_cleaned_and_unknown_attributes_dropped(
    recorded: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = recorded
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("GET", kind=SpanKind.CLIENT) as span:
        span.set_attributes(
            {
                # Twilio's list of messages to one number, as the aiohttp client records it.
                "http.url": "https://user:pw@api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
                "?To=whatsapp%3A%2B5511987654321&PageSize=50",
                "url.full": f"https://api.twilio.com/x?To={PHONE}",
                "http.target": "/webhooks/twilio/status?key=c1%3Areminder",
                "db.statement": f'find {{"phone": "{PHONE}"}}',
                "db.query.text": "HGET digitaly:lock:5511987654321 field",
                "db.system": "mongodb",
                "http.status_code": 200,
                "http.request.header.x_twilio_signature": ("abc",),
                "messaging.message_id": "f3a9c1d2e4b5a6c7d8e9f0a1b2c3d4e5",
                "url.query": f"To={PHONE}",
                "net.peer.name": f"({PHONE[3:5]}) 98765-4321",
                "db.name": "digitaly",
                "taskiq.retry.reason": f"send to {PHONE} failed",
                "body": "sim, estarei lá",
            }
        )
    [span] = exporter.get_finished_spans()
    assert dict(span.attributes or {}) == {
        "http.url": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
        "url.full": "https://api.twilio.com/x",
        "http.target": "/webhooks/twilio/status",
        "db.statement": "find",
        "db.query.text": "HGET",
        "db.system": "mongodb",
        "http.status_code": 200,
        "messaging.message_id": "f3a9c1d2e4b5a6c7d8e9f0a1b2c3d4e5",
        "net.peer.name": MASK,  # a phone in any format is masked wherever it is let through
        "db.name": "digitaly",
    }


def test_exceptions_keep_their_type_only_and_names_lose_phones(
    recorded: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = recorded
    tracer = provider.get_tracer("test")
    with (
        pytest.raises(ValueError, match="phone"),
        tracer.start_as_current_span(f"GET /patients/{PHONE}?name=Maria") as span,
    ):
        span.set_attributes(
            {"http.route": f"/patients/{PHONE[1:]}", "url.path": "/p/whatsapp%3A%2B5511987654321"}
        )
        raise ValueError(f"bad phone {PHONE} for Maria da Silva")
    [span] = exporter.get_finished_spans()
    assert span.name == f"GET /patients/{MASK}"
    assert dict(span.attributes or {}) == {
        "http.route": f"/patients/{MASK}",
        "url.path": f"/p/whatsapp:{MASK}",
    }
    assert (span.status.status_code, span.status.description) == (StatusCode.ERROR, None)
    [event] = span.events
    assert event.name == "exception"
    assert dict(event.attributes or {}) == {
        "exception.type": "ValueError",
        "exception.escaped": "False",
    }
