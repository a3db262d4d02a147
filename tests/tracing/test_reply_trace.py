"""One patient's reply, traced: one trace from the webhook to the send, and nothing of theirs in it.

The real app, a real (in-process) taskiq worker on the Redis-wire server, the
MongoDB-wire server and the fake Twilio; tracing on through ``start_tracing``
with the OpenTelemetry SDK's own in-memory exporter behind our scrubbing
processor. The trace context crosses the queue in the task's labels only: the
worker's span has a remote parent.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest
from aiohttp.test_utils import TestClient
from opentelemetry.instrumentation.utils import suppress_http_instrumentation
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from redis.asyncio import Redis

from bot.adapters.queue import SEND_MESSAGE, TaskiqQueue
from bot.adapters.twilio import TwilioMessenger
from bot.core.model import Appointment
from bot.settings import Settings
from bot.tracing import start_tracing, stop_tracing
from bot.tracing.sdk import Tracing
from bot.web import create_app
from bot.web.keys import CONVERSATIONS, QUEUE, STORE, TEMPLATE_CHECK
from tests.fakes.twilio import FakeTwilio
from tests.fakes.twilio_inbound import webhook_form
from tests.twilio_signing import TOKEN, message_sid, post_signed, with_twilio
from tests.web.conftest import no_template_check, started
from workers.broker import create_broker
from workers.runtime import run_worker
from workers.tasks import register_tasks

Client = TestClient[Any, Any]

# The app fits the reply model at start: minutes on a busy shared machine.
pytestmark = pytest.mark.timeout(300)

PHONE = "+5511987650007"
NAME = "Maria 7 da Silva"
TEXT = "sim, estarei lá"
# Every way the patient's number could be written down.
PHONE_FORMS = (
    PHONE,
    PHONE[1:],  # 5511987650007
    PHONE[3:],  # 11987650007 (national)
    PHONE[5:],  # 987650007 (local)
    "98765-0007",
    "(11) 98765-0007",
    "%2B5511987650007",
)
SECRETS = (*PHONE_FORMS, NAME, "da Silva", TEXT, "estarei", "sim%2C")


class Traced(NamedTuple):
    client: Client
    fake: FakeTwilio
    exporter: InMemorySpanExporter
    tracing: Tracing
    settings: Settings


@pytest.fixture
async def traced(
    settings: Settings, redis: Redis, fake_twilio: tuple[FakeTwilio, str], aiohttp_client: Any
) -> AsyncIterator[Traced]:
    """The app and a worker, started after tracing so that every client is instrumented."""
    exporter = InMemorySpanExporter()
    tracing = start_tracing("test", {}, exporters=[exporter])
    assert tracing is not None
    fake, url = fake_twilio
    settings = with_twilio(settings, url)
    fake.auth_token = TOKEN
    queue = f"digitaly:test:{uuid.uuid4().hex[:8]}"
    kick, worker_broker = create_broker(settings, queue=queue), create_broker(settings, queue=queue)
    # The app first: it fits the reply model at start, holding the loop for seconds, which
    # a worker already waiting for MongoDB would take for a server that does not answer.
    overrides = {QUEUE: TaskiqQueue(kick), TEMPLATE_CHECK: no_template_check}
    client = await started(aiohttp_client, create_app(settings, overrides=overrides))
    register_tasks(worker_broker, settings)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(worker_broker, stop, max_async_tasks=5))

    try:
        yield Traced(client, fake, exporter, tracing, settings)
    finally:
        stop.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(worker, 15)
        await kick.shutdown()
        stop_tracing(tracing)


async def _until(condition: Callable[[], object], what: str) -> None:
    for _ in range(300):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _values(span: ReadableSpan) -> Iterable[str]:
    """Every text a span carries out: its name, attributes, events, status, resource."""
    yield span.name
    yield span.status.description or ""
    for attributes in (
        span.attributes,
        span.resource.attributes,
        *(event.attributes for event in span.events),
    ):
        for key, value in (attributes or {}).items():
            yield key
            yield str(value)


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    found = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        found.append(span)
    return found


async def test_one_reply_is_one_trace_from_webhook_to_send_with_no_patient_data(
    traced: Traced,
) -> None:
    client, fake, exporter = traced.client, traced.fake, traced.exporter
    app = client.app
    await app[STORE].appointments.upsert(
        Appointment(
            id="t1",
            external_id="LEG-T1",
            patient_name=NAME,
            phone=PHONE,
            starts_at=datetime.now(UTC) + timedelta(days=1),
            doctor="Dra. Cláudia Guimarães",
            unit="centro",
        )
    )
    assert await app[CONVERSATIONS].start("c-t1", "confirmation", [await _get(app, "t1")])
    await _until(lambda: len(fake.messages) == 1, "the reminder")

    sid = message_sid("traced reply")
    form = webhook_form(sid, PHONE, TEXT, replied_to=fake.messages[0].sid)
    with suppress_http_instrumentation():  # Twilio sends no trace context: neither does the test
        response = await post_signed(client, "/webhooks/twilio/messages", form)
    assert response.status == 200
    await _until(lambda: len(fake.messages) == 2, "the answer to the reply")
    answer = fake.messages[1].form
    assert answer["To"] == "whatsapp:" + PHONE

    def spans() -> list[ReadableSpan]:
        traced.tracing.provider.force_flush()
        return list(exporter.get_finished_spans())

    def sends() -> list[ReadableSpan]:
        return [s for s in spans() if s.name == f"execute/{SEND_MESSAGE}"]

    await _until(lambda: len(sends()) == 2, "the worker's task spans")
    # The sweeper's reconciliation lists the messages sent to the patient
    # (GET .../Messages.json?To=whatsapp:+55...): made here inside a span of our own.
    messenger = TwilioMessenger(traced.settings)
    try:
        tracer = traced.tracing.provider.get_tracer("test")
        with tracer.start_as_current_span("reconcile", kind=SpanKind.SERVER):
            found = await messenger.find_sent(
                PHONE, fake.messages[0].form["From"], datetime.now(UTC) - timedelta(hours=1)
            )
    finally:
        await messenger.aclose()
    assert len(found) == 2
    finished = spans()
    by_id = {s.context.span_id: s for s in finished}

    # The webhook's server span starts the reply's trace.
    [webhook] = [
        s
        for s in finished
        if s.kind is SpanKind.SERVER
        and (s.attributes or {}).get("http.route") == "/webhooks/twilio/messages"
    ]
    trace = [s for s in finished if s.context.trace_id == webhook.context.trace_id]

    # Webhook -> enqueue -> (Redis stream) -> worker task -> Twilio's Messages API.
    [execute] = [s for s in trace if s.name == f"execute/{SEND_MESSAGE}"]
    assert execute.kind is SpanKind.CONSUMER
    assert execute.parent is not None
    assert execute.parent.is_remote
    enqueue = by_id[execute.parent.span_id]
    assert (enqueue.name, enqueue.kind) == (f"send/{SEND_MESSAGE}", SpanKind.PRODUCER)
    assert webhook in _ancestors(enqueue, by_id)
    [twilio_call] = [
        s
        for s in trace
        if s.kind is SpanKind.CLIENT
        and str((s.attributes or {}).get("http.url", "")).endswith("/Messages.json")
    ]
    assert execute in _ancestors(twilio_call, by_id)
    assert (twilio_call.attributes or {}).get("http.status_code") == 201
    # The steps' MongoDB and Redis calls are in the same trace, on both sides of the queue.
    systems = {(s.attributes or {}).get("db.system") for s in trace}
    assert {"mongodb", "redis"} <= systems
    assert any(execute in _ancestors(s, by_id) for s in trace if s.kind is SpanKind.CLIENT
               and (s.attributes or {}).get("db.system") == "mongodb")  # fmt: skip
    # The reminder is its own trace (no webhook caused it), also ending at Twilio.
    [reminder_send] = [s for s in sends() if s is not execute]
    assert reminder_send.context.trace_id != webhook.context.trace_id

    # The lookup's URL went out without its query.
    [listing] = [
        s
        for s in finished
        if s.kind is SpanKind.CLIENT and (s.attributes or {}).get("http.method") == "GET"
    ]
    assert str((listing.attributes or {})["http.url"]).endswith("/Messages.json")

    # Nothing of the patient in any span, in any trace, in any format.
    body = answer.get("Body", "")
    leaks = [
        (span.name, value)
        for span in finished
        for value in _values(span)
        for secret in (*SECRETS, *([body] if body else []))
        if secret in value
    ]
    assert not leaks, leaks[:5]


async def _get(app: Any, appointment_id: str) -> Appointment:
    found = await app[STORE].appointments.get(appointment_id)
    assert found is not None
    return found  # type: ignore[no-any-return]
