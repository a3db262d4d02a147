"""The OpenTelemetry SDK, wired: imported only when tracing is on (``bot.tracing``)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.instrumentation.aiohttp_server import AioHttpServerInstrumentor
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import (
    Decision,
    Sampler,
    SamplingResult,
    _get_from_env_or_default,
)
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes
from taskiq import TaskiqMiddleware

from bot.tracing import exporter_names, service_name
from bot.tracing.scrub import ScrubbingProcessor

__all__ = ["Tracing", "install"]

# Health probes and scrapes come every few seconds and tell nothing about a patient's
# message; the operator may set the variable to trace them after all.
_EXCLUDED_URLS_VARIABLE = "OTEL_PYTHON_AIOHTTP_SERVER_EXCLUDED_URLS"
_EXCLUDED_URLS = "/healthz$,/readyz$,/metrics$,/static/"

_ROOT_KINDS = {SpanKind.SERVER, SpanKind.CONSUMER, SpanKind.PRODUCER}


class StartsAtWork(Sampler):
    """A trace starts at a request, a task hand-off or a task; never at a bare client call.

    Without it the worker's blocking stream read (once a second), every
    ``/readyz`` ping and gauge refresh would each be a one-span trace. Everything
    else goes to the sampler ``OTEL_TRACES_SAMPLER`` configures (default: parent
    based, always on).
    """

    def __init__(self, delegate: Sampler) -> None:
        self._delegate = delegate

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        has_parent = trace.get_current_span(parent_context).get_span_context().is_valid
        if not has_parent and kind not in _ROOT_KINDS:
            return SamplingResult(Decision.DROP)
        return self._delegate.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"StartsAtWork{{{self._delegate.get_description()}}}"


@dataclass
class Tracing:
    """The running set-up: its provider and what it instrumented."""

    service: str
    provider: TracerProvider
    instrumentors: list[BaseInstrumentor] = field(default_factory=list)

    def task_middleware(self) -> TaskiqMiddleware:
        # taskiq's own middleware: a PRODUCER span around the kick and a CONSUMER span
        # around the task, the context carried in the task's labels (W3C traceparent).
        from taskiq.middlewares.opentelemetry_middleware import OpenTelemetryMiddleware

        return OpenTelemetryMiddleware(tracer_provider=self.provider)

    def stop(self) -> None:
        for instrumentor in self.instrumentors:
            instrumentor.uninstrument()
        self.provider.shutdown()


def install(
    role: str, environ: Mapping[str, str], *, exporters: Sequence[SpanExporter] | None = None
) -> Tracing:
    """A tracer provider exporting scrubbed spans, and aiohttp, pymongo and redis instrumented.

    Instrumentation is process-wide and pymongo's listener reaches only clients
    made after it: call this before any client or application is created.
    """
    # OTEL_SERVICE_NAME, then a service.name in OTEL_RESOURCE_ATTRIBUTES, then digitaly-<role>.
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "unknown_service")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: service_name(role, environ)}))
    name = str(resource.attributes[SERVICE_NAME])
    # The SDK's own reading of OTEL_TRACES_SAMPLER[_ARG] (what TracerProvider does when
    # given no sampler), so the standard variables keep their meaning under our rule.
    sampler = StartsAtWork(_get_from_env_or_default())
    provider = TracerProvider(resource=resource, sampler=sampler)
    for exporter in exporters if exporters is not None else _exporters(environ):
        provider.add_span_processor(ScrubbingProcessor(BatchSpanProcessor(exporter)))
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)  # for anything that asks the global one
    os.environ.setdefault(_EXCLUDED_URLS_VARIABLE, _EXCLUDED_URLS)
    tracing = Tracing(name, provider)
    server, client = AioHttpServerInstrumentor(), AioHttpClientInstrumentor()
    mongo, redis = PymongoInstrumentor(), RedisInstrumentor()
    with warnings.catch_warnings():
        # It instruments by subclassing web.Application, which aiohttp frowns upon (a
        # DeprecationWarning at class creation); the subclass only inserts its middleware.
        warnings.filterwarnings("ignore", "Inheritance class", DeprecationWarning)
        server.instrument(tracer_provider=provider)
    client.instrument(tracer_provider=provider)
    # Statements hold the documents' values (phones, names, texts): never captured.
    mongo.instrument(tracer_provider=provider, capture_statement=False)
    redis.instrument(tracer_provider=provider)
    tracing.instrumentors.extend([server, client, mongo, redis])
    return tracing


def _exporters(environ: Mapping[str, str]) -> list[SpanExporter]:
    built: list[SpanExporter] = []
    for name in exporter_names(environ):
        if name == "console":
            built.append(ConsoleSpanExporter())
        else:
            # Endpoint, headers, timeout, compression: the exporter reads OTEL_EXPORTER_OTLP_*.
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            built.append(OTLPSpanExporter())
    return built
