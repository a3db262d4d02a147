"""Logging in to the staff console as a browser does: form tokens, the session cookie."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from aiohttp import ClientResponse

from bot.web.keys import STAFF
from bot.web.pages.auth import COOKIE
from tests.checks import present
from tests.web.conftest import Client

__all__ = ["EMAIL", "PASSWORD", "form_token", "log_in", "login_token", "post_login"]

EMAIL, PASSWORD = "ana@clinica.example", "uma-senha-comprida"


def form_token(page: str) -> str:
    """The CSRF token of the form on ``page``."""
    return present(re.search(r'name="csrf" value="([^"]+)"', page)).group(1)


async def login_token(client: Client) -> str:
    """Open the login page as a browser does: its form token (the cookie stays in the jar)."""
    return form_token(await (await client.get("/console/login")).text())


async def post_login(client: Client) -> ClientResponse:
    """Ana's login form, posted (with a fresh CSRF token)."""
    return await client.post(
        "/console/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf": await login_token(client)},
        allow_redirects=False,
    )


async def log_in(client: Client) -> tuple[dict[str, str], str]:
    """Ana, created and logged in: the session cookie header and the console's CSRF token."""
    await client.app[STAFF].create("Ana", EMAIL, PASSWORD, datetime.now(UTC))
    response = await post_login(client)
    assert response.status == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    token = response.cookies[COOKIE].value
    headers = {"Cookie": f"{COOKIE}={token}"}
    # The cookie is Secure (PUBLIC_BASE_URL is https): the jar would not send it over http.
    client.session.cookie_jar.update_cookies({COOKIE: token}, response_url=client.make_url("/"))
    page = await (await client.get("/console/atendimento", headers=headers)).text()
    return headers, form_token(page)
