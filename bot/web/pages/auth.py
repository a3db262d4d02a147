"""Staff login: a session cookie (random token, HttpOnly, SameSite=Strict) and CSRF tokens.

Every console handler is wrapped in :func:`staff_only`; every POST form carries
the session's CSRF token, checked by :func:`checked_form`.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDictProxy

from bot.core.console import Session
from bot.web.keys import CLOCK, SETTINGS, STAFF

__all__ = ["COOKIE", "checked_form", "routes", "staff_only"]

routes = web.RouteTableDef()

COOKIE = "digitaly_staff"
_SESSION: web.RequestKey[Session | None] = web.RequestKey("staff_session")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def current(request: web.Request) -> Session | None:
    """The logged-in staff member's session, or None."""
    if _SESSION not in request:
        token = request.cookies.get(COOKIE)
        found = None
        if token:
            found = await request.app[STAFF].session(token, request.app[CLOCK]())
        request[_SESSION] = found
    session: Session | None = request[_SESSION]
    return session


def staff_only(handler: Handler) -> Handler:
    """Send anyone not logged in to the login page (and back here afterwards)."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        if await current(request) is None:
            raise web.HTTPFound(f"/console/login?next={quote(request.path_qs)}")
        return await handler(request)

    return wrapped


async def checked_form(request: web.Request) -> MultiDictProxy[Any]:
    """The posted form, if it carries this session's CSRF token; else 403."""
    session = await current(request)
    form = await request.post()
    token = str(form.get("csrf", ""))
    if session is None or not hmac.compare_digest(token, session.csrf):
        raise web.HTTPForbidden(reason="CSRF token missing or wrong")
    return form


def _safe_next(value: str) -> str:
    # Only paths of our own console: never an open redirect.
    return value if value.startswith("/console") and not value.startswith("//") else "/console"


@routes.get("/console/login")
@aiohttp_jinja2.template("login.html")
async def login_page(request: web.Request) -> dict[str, Any]:
    return {"next": _safe_next(request.query.get("next", "")), "error": None}


@routes.post("/console/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "")))
    now = request.app[CLOCK]()
    session = await request.app[STAFF].log_in(email, password, now)
    if session is None:
        context = {"next": target, "error": "E-mail ou senha incorretos.", "email": email}
        return aiohttp_jinja2.render_template("login.html", request, context, status=401)
    await request.app[STAFF].record(session.email, "login", now)
    response = web.HTTPFound(target)
    settings = request.app[SETTINGS]
    secure = request.secure or (settings.public_base_url or "").startswith("https://")
    response.set_cookie(
        COOKIE,
        session.token,
        httponly=True,
        samesite="Strict",
        secure=secure,
        path="/",
        max_age=int((session.expires_at - now).total_seconds()),
    )
    raise response


@routes.post("/console/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    await checked_form(request)
    session = await current(request)
    assert session is not None
    await request.app[STAFF].log_out(session.token)
    await request.app[STAFF].record(session.email, "logout", request.app[CLOCK]())
    response = web.HTTPFound("/console/login")
    response.del_cookie(COOKIE, path="/")
    raise response
