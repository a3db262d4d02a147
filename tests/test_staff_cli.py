"""``digitaly staff create``: an account the console accepts, never a plain-text password."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pymongo import MongoClient

from bot.cli import main
from bot.settings import Settings
from tests.cli_env import use_settings

ROOT = Path(__file__).resolve().parents[1]


def test_staff_create_stores_an_argon2_hash_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_settings(monkeypatch, settings)
    args = [
        "staff",
        "create",
        "--name",
        "Ana",
        "--email",
        "Ana@Clinica.example",
        "--password-stdin",
    ]
    runner = CliRunner()
    result = runner.invoke(main, args, input="uma-senha-comprida\n")
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, args, input="uma-senha-comprida\n").exit_code == 1
    assert runner.invoke(main, args, input="curta\n").exit_code == 2
    client: MongoClient[dict[str, object]] = MongoClient(settings.mongodb_url)
    try:
        account = client[settings.mongodb_db]["staff"].find_one({"_id": "ana@clinica.example"})
        assert account is not None
        assert str(account["password"]).startswith("$argon2id$")
    finally:
        client.drop_database(settings.mongodb_db)
        client.close()


def test_staff_list_disable_enable_and_reset_password(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_settings(monkeypatch, settings)
    runner = CliRunner()
    create = ["staff", "create", "--name", "Bia", "--email", "bia@clinica.example"]
    assert (
        runner.invoke(main, [*create, "--password-stdin"], input="uma-senha-comprida\n").exit_code
        == 0
    )
    client: MongoClient[dict[str, object]] = MongoClient(settings.mongodb_url)
    db = client[settings.mongodb_db]
    try:
        listed = runner.invoke(main, ["staff", "list"])
        assert listed.exit_code == 0, listed.output
        assert "bia@clinica.example\tBia\tativa" in listed.output
        db["staff_sessions"].insert_one({"_id": "s1", "email": "bia@clinica.example"})
        disabled = runner.invoke(main, ["staff", "disable", "bia@clinica.example"])
        assert disabled.exit_code == 0, disabled.output
        assert db["staff_sessions"].count_documents({"email": "bia@clinica.example"}) == 0
        assert "desativada" in runner.invoke(main, ["staff", "list"]).output
        assert runner.invoke(main, ["staff", "enable", "bia@clinica.example"]).exit_code == 0
        before = db["staff"].find_one({"_id": "bia@clinica.example"})
        assert before is not None
        reset = ["staff", "reset-password", "bia@clinica.example", "--password-stdin"]
        assert runner.invoke(main, reset, input="curta\n").exit_code == 2
        assert runner.invoke(main, reset, input="outra-senha-comprida\n").exit_code == 0
        after = db["staff"].find_one({"_id": "bia@clinica.example"})
        assert after is not None
        assert after["password"] != before["password"]
        assert after.get("disabled") is False
        missing = runner.invoke(main, ["staff", "disable", "ninguem@clinica.example"])
        assert missing.exit_code == 1
        assert "não existe conta" in missing.output
        actions = [doc["action"] for doc in db["audit_log"].find().sort("at", 1)]
        assert actions == ["staff.create", "staff.disable", "staff.enable", "staff.reset_password"]
    finally:
        client.drop_database(settings.mongodb_db)
        client.close()
