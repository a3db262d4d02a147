"""Configuration: config.yaml, then .env, then the environment; one readable line on error."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.errors import ConfigError
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_loads_with_defaults() -> None:
    settings = load_settings({"DIGITALY_CONFIG": str(ROOT / "config.yaml")})
    assert settings.port == 8080
    assert settings.data_dir == Path("var")  # the tests run in the project's folder
    assert [unit.key for unit in settings.units] == ["centro", "paulista"]
    assert settings.units[0].timezone == "America/Sao_Paulo"
    assert settings.reminders.offsets == [timedelta(hours=48), timedelta(hours=24)]
    assert not settings.twilio_enabled


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    config = _write(tmp_path, "clinic: {name: X}\n")
    settings = load_settings(
        {
            "DIGITALY_CONFIG": str(config),
            "PORT": "9090",
            "HOST": "0.0.0.0",
            "MONGODB_URL": "mongodb://db/",
            "MONGODB_DB": "clinic",
            "REDIS_URL": "redis://r/0",
            "TWILIO_ACCOUNT_SID": "AC1",
            "TWILIO_AUTH_TOKEN": "secret",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
            "PUBLIC_BASE_URL": "https://bot.example",
            "SMTP_URL": "smtp://u:p@mail:587",
            "DATA_DIR": "/srv/digitaly",
        }
    )
    assert (settings.port, settings.host, settings.mongodb_db) == (9090, "0.0.0.0", "clinic")
    assert settings.twilio_enabled
    assert settings.twilio_auth_token is not None
    assert settings.twilio_auth_token.get_secret_value() == "secret"
    assert "secret" not in repr(settings)
    assert settings.data_dir == Path("/srv/digitaly")


def test_dotenv_is_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("PORT=7000\nMONGODB_DB=from_dotenv\n")
    _write(tmp_path, "{}\n")
    settings = load_settings({"PORT": "7001"})
    assert settings.port == 7001
    assert settings.mongodb_db == "from_dotenv"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"PORT": "abc"}, "PORT (environment variable): Input should be a valid integer"),
        (
            {"PORT": "70000"},
            "PORT (environment variable): Input should be less than or equal to 65535",
        ),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL (environment variable): String should match pattern"),
    ],
)
def test_bad_environment_value_names_the_variable(
    tmp_path: Path, environ: dict[str, str], expected: str
) -> None:
    config = _write(tmp_path, "{}\n")
    with pytest.raises(ConfigError) as error:
        load_settings({"DIGITALY_CONFIG": str(config), **environ})
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("units: [\n", ":2: YAML inválido"),
        (
            "clinic:\n  name: X\n  colour: blue\n",
            ':3: clinic.colour: chave desconhecida "colour"',
        ),
        (
            "units:\n  - key: a\n    name: A\n    address: R\n    timezone: Mars/Base\n"
            "    whatsapp_sender: 'whatsapp:+5511999990000'\n",
            ":5: units.0.timezone: fuso horário desconhecido 'Mars/Base'",
        ),
        (
            "reminders:\n  offsets: [24h, soon]\n",
            ":2: reminders.offsets.1: escreva a duração como 24h, 30m ou 2d",
        ),
        (
            "conversations:\n  burst_window: 3 seconds\n",
            ":2: conversations.burst_window: escreva a duração como 24h, 30m ou 2d",
        ),
        (
            "reminders:\n  sending_hours: {start: '20:00', end: '08:00'}\n",
            ":2: reminders.sending_hours: start precisa ser antes de end",
        ),
        (
            "twilio_auth_token: abc\n",
            ":1: twilio_auth_token: segredos vêm só do ambiente",
        ),
        ("- just\n- a list\n", ":1: o arquivo precisa ser uma lista de chaves"),
    ],
)
def test_bad_file_value_names_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    config = _write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_settings({"DIGITALY_CONFIG": str(config)})
    message = str(error.value)
    assert message.startswith(str(config)), message
    assert expected in message, message
    assert "\n" not in message


def test_missing_config_file_named_by_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"DIGITALY_CONFIG: o arquivo .* não existe"):
        load_settings({"DIGITALY_CONFIG": str(tmp_path / "nope.yaml")})


def test_duplicate_unit_keys_refused_at_the_second(tmp_path: Path) -> None:
    unit = (
        "  - key: {}\n    name: A\n    address: R\n    whatsapp_sender: 'whatsapp:+5511999990000'\n"
    )
    config = _write(tmp_path, "units:\n" + unit.format("a") + unit.format("b") + unit.format("a"))
    with pytest.raises(ConfigError) as error:
        load_settings({"DIGITALY_CONFIG": str(config)})
    assert str(error.value) == (
        f'{config}:10: units.2.key: a unidade "a" já aparece na linha 2: '
        "cada unidade precisa de uma key diferente"
    )
