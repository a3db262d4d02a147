"""Staff login: a session cookie (random token, HttpOnly, SameSite=Strict) and CSRF tokens.

Every console handler is wrapped in :func:`staff_only`; every POST form carries
the session's CSRF token, checked by :func:`checked_form`. The login form,
before any session, carries a token that must match a cookie set with the page
(double submit). Failed logins are counted per account and per client address
(:mod:`bot.core.login_throttle`): slowed, then locked for a while; every
failure and lock goes to the audit log.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import math
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDictProxy

from bot.core.console import Session
from bot.core.login_throttle import ThrottleRule
from bot.settings import Settings
from bot.web.keys import CLOCK, LOGIN_THROTTLE, SETTINGS, STAFF

__all__ = ["COOKIE", "LOGIN_COOKIE", "checked_form", "routes", "staff_only"]

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

COOKIE = "digitaly_staff"
LOGIN_COOKIE = "digitaly_login"
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
    # Only paths of our own pages: never an open redirect.
    ours = value.startswith(("/console", "/simulator")) and not value.startswith("//")
    return value if ours else "/console"


def _login_form(
    request: web.Request, target: str, error: str | None, status: int = 200, email: str = ""
) -> web.Response:
    """The login page, with a fresh form token in the page and in a cookie."""
    token = secrets.token_urlsafe(24)
    context = {"next": target, "error": error, "email": email, "csrf": token}
    response = aiohttp_jinja2.render_template("login.html", request, context, status=status)
    response.set_cookie(
        LOGIN_COOKIE, token, httponly=True, samesite="Strict", path="/console/login", max_age=3600
    )
    return response


@routes.get("/console/login")
async def login_page(request: web.Request) -> web.StreamResponse:
    return _login_form(request, _safe_next(request.query.get("next", "")), None)


def client_address(request: web.Request) -> str:
    """The client's address; behind a reverse proxy on this machine, the one it forwarded."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    try:
        local = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        local = False
    if local and forwarded:
        return forwarded.rsplit(",", 1)[-1].strip()  # the hop our proxy appended
    return peer


def _subjects(settings: Settings, email: str, client: str) -> list[tuple[str, ThrottleRule]]:
    rules = settings.staff_login
    return [
        ("account:" + email, ThrottleRule(rules.free_failures, rules.lock_at, rules.lock_for)),
        (
            "client:" + client,
            ThrottleRule(rules.client_free_failures, rules.client_lock_at, rules.lock_for),
        ),
    ]


def _wait_message(wait: timedelta) -> str:
    if wait.total_seconds() >= 60:
        minutes = math.ceil(wait.total_seconds() / 60)
        return (
            "Acesso bloqueado temporariamente por excesso de tentativas. "
            f"Tente de novo em {minutes} minuto{'s' if minutes > 1 else ''}."
        )
    seconds = max(1, math.ceil(wait.total_seconds()))
    return f"Muitas tentativas seguidas. Aguarde {seconds} segundo{'s' if seconds > 1 else ''}."


@routes.post("/console/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    # An address is at most 254 characters: longer input is not an account, and the audit
    # log, which records every attempt, must not grow by what a stranger types.
    email = str(form.get("email", "")).strip().lower()[:254]
    password = str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "")))
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not hmac.compare_digest(str(form.get("csrf", "")), cookie):
        error = "O formulário expirou. Entre de novo."
        return _login_form(request, target, error, status=403, email=email)
    app, now = request.app, request.app[CLOCK]()
    subjects = _subjects(app[SETTINGS], email, client_address(request))
    wait = await app[LOGIN_THROTTLE].wait(subjects)
    if wait:
        await app[STAFF].record(email, "login_throttled", now)
        return _login_form(request, target, _wait_message(wait), status=429, email=email)
    session = await app[STAFF].log_in(email, password, now)
    if session is None:
        wait = await app[LOGIN_THROTTLE].failed(subjects)
        await app[STAFF].record(email, "login_failed", now)
        error = "E-mail ou senha incorretos."
        if wait:
            log.warning("staff login throttled", extra={"wait_seconds": wait.total_seconds()})
            error += " " + _wait_message(wait)
        return _login_form(request, target, error, status=401, email=email)
    await app[LOGIN_THROTTLE].clear(subjects[0][0])
    await app[STAFF].record(session.email, "login", now)
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
    response.del_cookie(LOGIN_COOKIE, path="/console/login")
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
