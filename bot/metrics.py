"""Prometheus metrics: what operators watch, never patient data in a label.

Counters live in the process's default registry. Several worker processes on
one host share figures through prometheus-client's multiprocess mode when
``PROMETHEUS_MULTIPROC_DIR`` is set (see docs/operations.md).
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

__all__ = [
    "DEAD_LETTERS",
    "DELIVERY_FAILURES",
    "DEPENDENCY_UP",
    "INBOUND",
    "OUTBOX_BACKLOG",
    "QUEUE_DEPTH",
    "REMINDER_LAG",
    "REQUESTS",
    "SENDER_PAUSES",
    "SENDS",
    "SEND_LATENCY",
    "TRANSITIONS",
    "render",
]

INBOUND = Counter(
    "digitaly_inbound_messages_total", "Inbound WhatsApp messages stored", ["outcome"]
)
TRANSITIONS = Counter(
    "digitaly_conversation_transitions_total", "Conversation steps taken", ["flow", "state"]
)
SENDS = Counter("digitaly_outbound_sends_total", "Outbound send attempts", ["status", "error_code"])
DELIVERY_FAILURES = Counter(
    "digitaly_delivery_failures_total",
    "Failures reported by status callbacks, by error code",
    ["error_code"],
)
SENDER_PAUSES = Counter(
    "digitaly_sender_pauses_total",
    "Times a sender's business-initiated sends were paused (over Meta's messaging limit)",
    ["error_code"],  # no sender: no phone number in any label (/readyz names it)
)
SEND_LATENCY = Histogram(
    "digitaly_send_latency_seconds",
    "Time of one send request to the provider",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20),
)
REMINDER_LAG = Histogram(
    "digitaly_reminder_lag_seconds",
    "From a reminder's due time to its send",
    buckets=(1, 5, 15, 60, 300, 900, 3600, 4 * 3600),
)
OUTBOX_BACKLOG = Gauge(
    "digitaly_outbox_backlog",
    "Outbox entries not settled, by state",
    ["state"],
    multiprocess_mode="livemax",
)
DEAD_LETTERS = Gauge("digitaly_dead_letters", "Messages given up on", multiprocess_mode="livemax")
QUEUE_DEPTH = Gauge(
    "digitaly_queue_depth", "Tasks waiting in the Redis stream", multiprocess_mode="livemax"
)
DEPENDENCY_UP = Gauge(
    "digitaly_dependency_up",
    "1 when this process's readiness check of the dependency passes, else 0",
    ["dependency"],
    multiprocess_mode="livemin",
)
REQUESTS = Counter("digitaly_http_requests_total", "HTTP requests", ["route", "method", "status"])


def render() -> bytes:
    """The exposition text: this process's metrics, or every process's in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry))
    return bytes(generate_latest(DEFAULT_REGISTRY))
