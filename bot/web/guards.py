"""What every answer carries, and who may reach the pages at all.

- Every response: a strict Content-Security-Policy (scripts only from our own
  files, no framing), ``X-Frame-Options: DENY``, ``Referrer-Policy``,
  ``nosniff``, and a ``Server`` header without versions. Everything but the
  static files is ``Cache-Control: no-store``: console and simulator pages and
  API answers carry patient data, and a shared reception PC's back button must
  not show them after logout.
- The pages (``/console``, ``/simulator``) answer only to the configured
  public host or a loopback name: a DNS-rebinding page in a staff browser
  reaches us under its own host name and is refused.
- A request's body has a deadline (:func:`bot.web.connections.watch_body`).

Both guards are one middleware: every request passes through each middleware's
coroutine, and these two need no layer of their own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.web.connections import watch_body
from bot.web.keys import SETTINGS

__all__ = ["CSP", "guard_middleware", "secure_headers"]

# Inline styles stay allowed (scripts never): the vendored Mermaid draws a flow as an SVG
# carrying its own <style> element (rules scoped to that diagram's id) and style
# attributes on the boxes, both generated per diagram, so no hash or nonce can list them.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_CACHEABLE = ("/static/", "/docs/assets/")
_PAGES = ("/console", "/simulator")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


async def secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: runs for handlers' answers, raised HTTP errors and static files."""
    headers = response.headers
    headers["Server"] = "Digitaly"
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith(_CACHEABLE):
        headers["Cache-Control"] = "no-store"


def _hostname(host: str) -> str:
    """``host[:port]`` without the port, lower-case (IPv6 keeps its brackets)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def allowed_host(request: web.Request) -> bool:
    """The Host header names our public host or this machine."""
    name = _hostname(request.headers.get("Host", ""))
    public = request.app[SETTINGS].public_base_url
    return name in _LOOPBACK or (public is not None and name == urlsplit(public).hostname)


@web.middleware
async def guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a page under a host name not ours; then the handler, under the body's deadline."""
    if request.path.startswith(_PAGES) and not allowed_host(request):
        raise web.HTTPMisdirectedRequest(
            text='{"error": {"code": "unknown_host", "message": "this host name is not served"}}',
            content_type="application/json",
        )
    watchdog = watch_body(request)
    if watchdog is None:
        return await handler(request)
    try:
        return await handler(request)
    finally:
        watchdog.cancel()
