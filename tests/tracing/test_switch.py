"""Tracing is off unless the standard OTEL_* variables turn it on, and costs nothing while off."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bot.cli import main
from bot.core.errors import ConfigError
from bot.tracing import exporter_names, requested, service_name

ROOT = Path(__file__).resolve().parents[2]
ENDPOINT = "http://127.0.0.1:4318"


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "x"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ENDPOINT + "/v1/traces"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": " "}, False),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, False),
        ({"OTEL_TRACES_EXPORTER": "None"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, False),
        ({"OTEL_SDK_DISABLED": "TRUE", "OTEL_TRACES_EXPORTER": "otlp"}, False),
        ({"OTEL_SDK_DISABLED": "false", "OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, True),
    ],
)
def test_the_standard_variables_decide(environ: dict[str, str], on: bool) -> None:
    assert requested(environ) is on


def test_service_name_defaults_to_the_role() -> None:
    assert service_name("worker", {}) == "digitaly-worker"
    assert service_name("worker", {"OTEL_SERVICE_NAME": "clinica-a-worker"}) == "clinica-a-worker"


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER=zipkin: supported are"),
        ({"OTEL_TRACES_EXPORTER": "otlp,jaeger"}, "OTEL_TRACES_EXPORTER=otlp,jaeger"),
        (
            {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "OTEL_EXPORTER_OTLP_PROTOCOL=grpc: only http/protobuf",
        ),
        (
            {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"},
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json: only http/protobuf",
        ),
    ],
)
def test_an_exporter_we_cannot_build_is_refused(environ: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        exporter_names(environ)


def test_a_bad_value_stops_the_process_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITALY_CONFIG", str(ROOT / "config.yaml"))
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", ENDPOINT)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    result = CliRunner().invoke(main, ["worker"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "digitaly: OTEL_EXPORTER_OTLP_PROTOCOL=grpc: only http/protobuf is installed"
    ]
    assert exporter_names({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}) == ["otlp"]


# Run in a fresh interpreter: what it has imported is the point.
_PROBE = """
import json, logging, sys
if sys.argv[1] == "no-extra":  # as if the tracing extra were not installed
    class Missing:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "opentelemetry":
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    sys.meta_path.insert(0, Missing())
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append((record.levelname, record.getMessage()))
logging.getLogger().addHandler(Keep())
logging.getLogger().setLevel(logging.INFO)
import aiohttp.web
import bot.cli.serve, bot.web.app, workers.broker, workers.tasks
from bot.settings import load_settings
from bot.tracing import start_tracing
import os
settings = load_settings()
tracing = start_tracing("worker", os.environ)
broker = workers.broker.create_broker(settings.model_copy(update={"redis_url": "redis://127.0.0.1:9"}))
print(json.dumps({
    "tracing": tracing is not None,
    "middlewares": [type(m).__name__ for m in broker.middlewares],
    "ours": sorted(m for m in sys.modules if m.startswith((
        "bot.tracing.", "opentelemetry.instrumentation", "opentelemetry.sdk.trace",
        "opentelemetry.exporter", "taskiq.middlewares.opentelemetry",
    ))),
    "app_patched": aiohttp.web.Application.__module__ != "aiohttp.web_app",
    "records": records,
}))
"""


def _probe(mode: str, **environ: str) -> dict[str, object]:
    env = {"PATH": "/usr/bin:/bin", "DIGITALY_CONFIG": str(ROOT / "config.yaml"), **environ}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_off_by_default_loads_and_patches_nothing() -> None:
    found = _probe("installed")
    assert found == {
        "tracing": False,
        "middlewares": ["CorrelationMiddleware"],
        "ours": [],
        "app_patched": False,
        "records": [],
    }


def test_asked_for_without_the_extra_warns_once_and_runs_untraced() -> None:
    found = _probe("no-extra", OTEL_EXPORTER_OTLP_ENDPOINT=ENDPOINT)
    assert found["tracing"] is False
    assert found["middlewares"] == ["CorrelationMiddleware"]
    assert found["ours"] == []
    [(level, message)] = found["records"]  # type: ignore[misc]
    assert level == "WARNING"
    assert "the 'tracing' extra is not installed" in message


def test_asked_for_with_the_extra_instruments_the_process() -> None:
    found = _probe("installed", OTEL_TRACES_EXPORTER="console", OTEL_SERVICE_NAME="probe")
    assert found["tracing"] is True
    assert found["middlewares"] == ["CorrelationMiddleware", "OpenTelemetryMiddleware"]
    assert "bot.tracing.sdk" in found["ours"]  # type: ignore[operator]
    assert found["app_patched"] is True
    assert found["records"] == [["INFO", "tracing on"]]


_EXPORT = """
import os
from opentelemetry import trace
from bot.tracing import start_tracing, stop_tracing
tracing = start_tracing("web", os.environ)
tracer = trace.get_tracer("probe")
with tracer.start_as_current_span("POST /webhooks/twilio/messages", kind=trace.SpanKind.SERVER) as span:
    span.set_attribute("http.url", "https://digitaly.test/webhooks/twilio/status?key=+5511987654321")
stop_tracing(tracing)
"""


def test_spans_go_out_by_otlp_over_http_to_the_endpoint_the_variable_names() -> None:
    received: list[tuple[str, str, bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        subprocess.run(
            [sys.executable, "-c", _EXPORT],
            env={
                "PATH": "/usr/bin:/bin",
                "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_port}",
            },
            cwd=ROOT,
            capture_output=True,
            timeout=120,
            check=True,
        )
    finally:
        server.shutdown()
        server.server_close()
    [(path, content_type, body)] = received
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    request = ExportTraceServiceRequest.FromString(body)
    [resource_spans] = request.resource_spans
    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert resource["service.name"] == "digitaly-web"
    [span] = [s for scope in resource_spans.scope_spans for s in scope.spans]
    attributes = {a.key: a.value.string_value for a in span.attributes}
    assert attributes == {"http.url": "https://digitaly.test/webhooks/twilio/status"}
