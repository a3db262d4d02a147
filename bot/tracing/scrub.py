"""What a span may carry out of the process: an allow-list, then a guard against phones.

The instrumentations already keep statements out (pymongo's is off, redis's is
``COMMAND ? ?``), but a span leaves for a collector that other people read, so
nothing is trusted by default:

- only attributes named in :data:`ALLOWED` are kept (a new attribute from an
  upgraded instrumentation is dropped until someone decides it is safe);
- URLs lose their query string (a status callback's ``?key=``, a Twilio list
  filtered ``?To=whatsapp:+55…``) and any credentials;
- statements keep only the command's name;
- any value or span name still holding a phone-like run of digits is masked;
- exception events keep the type only, and an error status no description
  (both are the exception's text, which may quote a value).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import cast
from urllib.parse import unquote, urlsplit, urlunsplit

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import Status
from opentelemetry.util.types import AttributeValue

__all__ = ["ALLOWED", "ScrubbingProcessor", "scrub_span"]

MASK = "[redacted]"

# A phone in any format: ten or more digits (E.164 or with the area code), maybe with
# + ( ) - . or spaces between them, or a local number such as 98765-4321; never part
# of a longer token (a hex id keeps its digits, the 2010-04-01 of Twilio's paths stays).
_PHONE = re.compile(
    r"(?<![0-9A-Za-z])(?:\+?\(?\d(?:[\s().-]{0,2}\d){9,}|\d{4,5}-\d{4})(?![0-9A-Za-z])"
)


def _url(value: str) -> str:
    parts = urlsplit(value)
    netloc = parts.hostname or ""
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _target(value: str) -> str:
    return value.split("?", 1)[0].split("#", 1)[0]


def _command(value: str) -> str:
    words = value.split(maxsplit=1)
    return words[0] if words else ""


def _keep(value: str) -> str:
    return value


# The attribute names of aiohttp (server and client), pymongo, redis and taskiq's
# middleware, in both the old and the stable semantic conventions, with how each
# value is cleaned.
ALLOWED: Mapping[str, Callable[[str], str]] = {
    **dict.fromkeys(
        [
            "http.method",
            "http.request.method",
            "http.request.method_original",
            "http.scheme",
            "url.scheme",
            "http.host",
            "http.server_name",
            "net.host.name",
            "net.host.port",
            "net.peer.name",
            "net.peer.port",
            "net.peer.ip",
            "net.transport",
            "network.transport",
            "network.peer.address",
            "network.peer.port",
            "network.protocol.version",
            "http.flavor",
            "server.address",
            "server.port",
            "client.address",
            "http.route",
            "url.path",
            "http.status_code",
            "http.response.status_code",
            "http.user_agent",
            "user_agent.original",
            "error.type",
            "db.system",
            "db.system.name",
            "db.name",
            "db.namespace",
            "db.operation",
            "db.operation.name",
            "db.mongodb.collection",
            "db.collection.name",
            "db.redis.database_index",
            "db.redis.args_length",
            "db.redis.pipeline_length",
            "db.operation.batch.size",
            "taskiq.action",
            "taskiq.task_name",
            "taskiq._retries",
            "taskiq.delay",
            "taskiq.max_retries",
            "taskiq.retry_on_error",
            "taskiq.timeout",
            "messaging.message_id",
            "messaging.message.id",
            "exception.type",
            "exception.escaped",
        ],
        _keep,
    ),
    "http.url": _url,
    "url.full": _url,
    "http.target": _target,
    "db.statement": _command,
    "db.query.text": _command,
}


def _mask(text: str) -> str:
    decoded = unquote(text)  # whatsapp%3A%2B55... is a phone too
    if decoded != text and _PHONE.search(decoded):
        return _PHONE.sub(MASK, decoded)
    return _PHONE.sub(MASK, text)


def _clean_value(clean: Callable[[str], str], value: AttributeValue) -> AttributeValue:
    if isinstance(value, str):
        return _mask(clean(value))
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return cast(
            AttributeValue, tuple(_mask(clean(v)) if isinstance(v, str) else v for v in value)
        )
    return MASK  # a mapping or anything unforeseen: nothing to vouch for


def _clean(attributes: Mapping[str, AttributeValue] | None) -> dict[str, AttributeValue]:
    return {
        key: _clean_value(ALLOWED[key], value)
        for key, value in (attributes or {}).items()
        if key in ALLOWED
    }


def scrub_span(span: ReadableSpan) -> ReadableSpan:
    """A copy of ``span`` that carries only what :data:`ALLOWED` lets through."""
    return ReadableSpan(
        name=_mask(_target(span.name)),
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=_clean(span.attributes),
        events=[
            Event(event.name, _clean(event.attributes), event.timestamp) for event in span.events
        ],
        links=[],
        kind=span.kind,
        status=Status(span.status.status_code),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class ScrubbingProcessor(SpanProcessor):
    """Hands ``inner`` (the exporting processor) a scrubbed copy of each finished span."""

    def __init__(self, inner: SpanProcessor) -> None:
        self._inner = inner

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self._inner.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        self._inner.on_end(scrub_span(span))

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)
