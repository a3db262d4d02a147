"""Turning tracing on in the compose deployment: the override file and the image's lock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.tracing import exporter_names, requested

ROOT = Path(__file__).resolve().parents[2]
ROLES = {"web", "worker", "scheduler"}


def _services(name: str) -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load((ROOT / "deploy" / name).read_text())["services"]
    return services


def test_the_override_turns_tracing_on_in_every_role_and_adds_its_receiver() -> None:
    base, override = _services("docker-compose.yml"), _services("docker-compose.tracing.yml")
    assert set(base) >= ROLES
    assert set(override) == ROLES | {"jaeger"}
    assert "jaeger" not in base  # off unless the operator adds the override
    for role in ROLES:
        environment = {k: str(v) for k, v in override[role]["environment"].items()}
        assert requested(environment), role
        assert exporter_names(environment) == ["otlp"]
        assert environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318"
        assert not requested({k: str(v) for k, v in base[role]["environment"].items()})
    # The UI is published on this host only.
    assert override["jaeger"]["ports"] == ["127.0.0.1:16686:16686"]


def test_the_image_installs_the_tracing_extra() -> None:
    # The Dockerfile installs requirements/production.txt: turning tracing on needs no rebuild.
    assert "requirements/production.txt" in (ROOT / "Dockerfile").read_text()
    locked = (ROOT / "requirements/production.txt").read_text()
    for package in (
        "opentelemetry-sdk==",
        "opentelemetry-exporter-otlp-proto-http==",
        "opentelemetry-instrumentation-aiohttp-server==",
        "opentelemetry-instrumentation-aiohttp-client==",
        "opentelemetry-instrumentation-pymongo==",
        "opentelemetry-instrumentation-redis==",
        "psutil==",  # taskiq[opentelemetry]
    ):
        assert package in locked, package
