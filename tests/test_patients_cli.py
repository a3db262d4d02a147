"""``digitaly patients erase`` (and ``export``) when something is wrong: one Portuguese line, exit non-zero.

Through the command's entry point (``bot.cli.main``) against the test's real
MongoDB-wire server, or a port where nothing listens.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
from click.testing import CliRunner, Result

from bot.adapters.mongo import MongoStore
from bot.cli import main
from bot.settings import Settings
from tests.cli_env import use_settings


async def _erase(*args: str) -> Result:
    return await _patients("erase", *args)


async def _patients(command: str, *args: str) -> Result:
    runner = CliRunner()
    # catch_exceptions=False: a traceback would fail the test here, not hide in the output.
    return await asyncio.to_thread(
        runner.invoke, main, ["patients", command, *args], catch_exceptions=False
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("command", "nothing"),
    [(["erase", "--yes"], "nada foi apagado"), (["export"], "nada foi exportado")],
    ids=["erase", "export"],
)
async def test_a_number_held_nowhere_is_said_and_nothing_is_recorded(
    settings: Settings,
    mongo_store: MongoStore,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    nothing: str,
) -> None:
    use_settings(monkeypatch, settings)

    result = await _patients(command[0], "+5511988887777", *command[1:])

    assert result.exit_code == 1
    assert "nenhum dado guardado para este telefone" in result.stderr
    assert nothing in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""  # no {"erased": ...} nor empty export that looks like a success
    assert await mongo_store.db["privacy_audit"].count_documents({}) == 0


async def test_a_database_that_does_not_answer_is_said_in_portuguese(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    nowhere = f"mongodb://127.0.0.1:{_closed_port()}/"
    use_settings(monkeypatch, settings, MONGODB_URL=nowhere)

    result = await _erase("+5511988887777", "--yes")

    assert result.exit_code == 1
    assert "o banco de dados (MongoDB) não respondeu" in result.stderr
    assert "rode o comando de novo" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("given", ["abc", "+1", "", "11 9"])
async def test_what_is_not_a_number_is_refused_before_anything_runs(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    use_settings(monkeypatch, settings)

    result = await _erase(given, "--yes")

    assert result.exit_code == 2
    assert "não é um telefone" in result.stderr
    assert "Traceback" not in result.output
