"""Server-rendered pages: the WhatsApp simulator (``/simulator``) and the staff console (``/console``).

Plain HTML from Jinja2 templates with a little JavaScript; every asset is
shipped under ``bot/web/static`` (nothing from a CDN). Portuguese interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import ClientSession, TCPConnector, web

from bot.core.console import StaffAccounts
from bot.services.demo import seed_demo
from bot.web.keys import CLOCK, CLOSING, LOOPBACK, READS, SETTINGS, STAFF, STORE
from bot.web.pages import auth, console, reschedules, simulator, waitlist

__all__ = ["announce", "setup_pages"]

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent.parent
_INDEX_RETRY_SECONDS = 1.0


def setup_pages(app: web.Application) -> None:
    """Templates, static files, the simulator's and the console's routes."""
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
    )
    env.filters.update(console.FILTERS)
    app.router.add_static("/static/", _HERE / "static", name="static")
    app[CLOSING] = asyncio.Event()
    app.on_shutdown.append(_closing)
    app.cleanup_ctx.append(_pages_ctx)
    app.add_routes(auth.routes)
    app.add_routes(console.routes)
    app.add_routes(reschedules.routes)
    app.add_routes(simulator.routes)
    app.add_routes(waitlist.routes)


async def _closing(app: web.Application) -> None:
    app[CLOSING].set()


async def _pages_ctx(app: web.Application) -> AsyncIterator[None]:
    # No keep-alive: a pooled connection to ourselves could outlive the server at shutdown.
    app[LOOPBACK] = ClientSession(connector=TCPConnector(force_close=True))
    indexes = asyncio.create_task(_ensure_indexes(app[STAFF]))
    yield
    indexes.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await indexes
    await app[LOOPBACK].close()


async def _ensure_indexes(staff: StaffAccounts) -> None:
    while True:
        try:
            await staff.ensure_indexes()
        except Exception as exc:
            log.warning("staff indexes not created yet", extra={"error": type(exc).__name__})
            await asyncio.sleep(_INDEX_RETRY_SECONDS)
        else:
            return


async def announce(app: web.Application, address: str) -> None:
    """Without Twilio: seed the demo data on an empty database and print the simulator's address."""
    if app[SETTINGS].twilio_enabled:
        return
    if not await app[READS].count_appointments():
        created = await seed_demo(app[STORE], app[SETTINGS], app[CLOCK])
        log.info("demo data seeded", extra={"appointments": created})
    print(f"Simulador: {address}/simulator  (entre com um acesso da equipe)", flush=True)
    print(f"Console da equipe: {address}/console", flush=True)
    print("Crie um acesso, se ainda não tem: .venv/bin/digitaly staff create", flush=True)
