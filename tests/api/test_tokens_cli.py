"""``digitaly tokens create|list|revoke`` against the test database, then the API."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.web.keys import SETTINGS
from tests.api.conftest import Client
from tests.cli_env import use_settings

URL = "/api/v1/cancellations"


async def _run(args: list[str], code: int = 0) -> tuple[str, str]:
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, main, args, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.stdout, result.stderr


async def test_create_list_revoke(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = client.app[SETTINGS]
    use_settings(monkeypatch, settings)

    out, err = await _run(
        ["tokens", "create", "--name", "robot-centro", "--scopes", "cancellations:read"]
    )
    secret = out.strip()
    assert secret.startswith("dgt_")
    assert "will not be shown again" in err
    auth = {"Authorization": f"Bearer {secret}"}
    assert (await client.get(URL, headers=auth)).status == 200

    out, _ = await _run(["tokens", "list"])
    assert "robot-centro" in out
    assert "cancellations:read" in out
    assert "active" in out
    assert secret not in out

    _, err = await _run(["tokens", "create", "--name", "robot-centro", "--scopes", "x"], code=1)
    assert "unknown scope" in err

    out, _ = await _run(["tokens", "revoke", "robot-centro"])
    assert "revoked" in out
    assert (await client.get(URL, headers=auth)).status == 401
    _, err = await _run(["tokens", "revoke", "robot-centro"], code=1)
    assert "no active token" in err
