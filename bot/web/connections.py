"""Slow and greedy clients: read deadlines and a cap on connections per client address.

aiohttp has no read timeout of its own. What it has, and what we add:

- **headers**: aiohttp arms ``keepalive_timeout`` when a connection opens and
  after each answer, and closes a connection still waiting for a whole request
  head when it fires; it is set to ``web_limits.header_timeout``.
- **body**: :func:`watch_body` (armed by :func:`bot.web.guards.guard_middleware`)
  gives a request's body ``web_limits.body_timeout`` seconds from the moment its
  head was read, then closes the connection (the handler sees the client gone:
  a warning, no 500).
- **connections**: :class:`CappedSite` refuses a client address's connection
  beyond ``web_limits.max_connections_per_client`` at once (0: no cap, for
  when a reverse proxy in front already limits, see docs/operations.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from aiohttp import web

from bot.web.keys import SETTINGS

__all__ = ["CappedSite", "watch_body"]

log = logging.getLogger(__name__)


def _cut_slow_body(request: web.Request) -> None:
    if request.content.is_eof() or request.transport is None:
        return
    log.warning("request body too slow: connection closed", extra={"path": request.path})
    request.transport.close()


def watch_body(request: web.Request) -> asyncio.TimerHandle | None:
    """Arm the body's deadline, unless the whole body came with the head (a webhook's
    does: no timer); the caller cancels the handle once its handler is done."""
    if not request.body_exists or request.content.is_eof():
        return None
    seconds = request.app[SETTINGS].web_limits.body_timeout.total_seconds()
    return asyncio.get_running_loop().call_later(seconds, _cut_slow_body, request)


class _Capped(asyncio.Protocol):
    """Hands a connection to aiohttp's protocol unless its address holds too many already."""

    def __init__(self, inner: asyncio.Protocol, open_by_address: Counter[str], cap: int) -> None:
        self.inner, self.open, self.cap = inner, open_by_address, cap
        self.address: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if peer else ""
        if self.open[address] >= self.cap:
            log.warning("connection refused: too many from one client")
            transport.abort()  # type: ignore[attr-defined]
            return
        self.address = address
        self.open[address] += 1
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.address is not None:
            self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.address is not None else None

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.address is None:
            return
        self.open[self.address] -= 1
        if self.open[self.address] <= 0:
            del self.open[self.address]
        self.inner.connection_lost(exc)


class CappedSite(web.TCPSite):
    """A TCPSite whose connections pass through :class:`_Capped` (``cap`` 0: a plain TCPSite)."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, *, cap: int) -> None:
        super().__init__(runner, host, port)
        self.cap = cap
        self.open_by_address = Counter[str]()

    async def start(self) -> None:
        if self.cap <= 0:
            await super().start()
            return
        # TCPSite.start with the protocol factory wrapped (aiohttp offers no hook for it).
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Capped(server(), self.open_by_address, self.cap),
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )
        if self._server.sockets:
            self._bound_port = self._server.sockets[0].getsockname()[1]
