"""``digitaly staff create``: an account the console accepts, never a plain-text password."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pymongo import MongoClient

from bot.cli import main
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_staff_create_stores_an_argon2_hash_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.mongodb_url
    assert settings.redis_url
    monkeypatch.setenv("MONGODB_URL", settings.mongodb_url)
    monkeypatch.setenv("MONGODB_DB", settings.mongodb_db)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DIGITALY_CONFIG", str(ROOT / "config.yaml"))
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
