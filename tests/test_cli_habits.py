"""The ``digitaly`` command's habits: -h, --config FILE, LOG_LEVEL in any case."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.core.errors import ConfigError
from bot.settings import Settings, load_settings
from tests.cli_env import use_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "args", [["-h"], ["db", "-h"], ["db", "status", "-h"], ["keys", "rotate", "-h"]]
)
def test_h_is_help_everywhere(args: list[str]) -> None:
    short = CliRunner().invoke(main, args)
    long = CliRunner().invoke(main, [*args[:-1], "--help"])
    assert short.exit_code == 0, short.output
    assert short.output.startswith("Uso: ")
    assert short.output == long.output


def test_config_option_is_read_and_wins_over_the_environment(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.mongodb_url
    assert settings.redis_url
    broken = tmp_path / "broken.yaml"
    broken.write_text("units: [\n", encoding="utf-8")
    use_settings(monkeypatch, settings, broken)
    runner = CliRunner()
    failed = runner.invoke(main, ["db", "status"])
    assert failed.exit_code == 2
    assert f"{broken}:2: YAML inválido" in failed.stderr
    # --config names the file instead: the good one is read, the variable ignored.
    status = runner.invoke(main, ["--config", str(ROOT / "config.yaml"), "db", "status"])
    assert status.exit_code in (0, 1), status.output  # 1: migrations pending on a fresh db
    assert "collections and indexes" in status.stdout
    failed = runner.invoke(main, ["--config", str(broken), "db", "status"])
    assert f"{broken}:2: YAML inválido" in failed.stderr
    missing = runner.invoke(main, ["--config", str(tmp_path / "none.yaml"), "db", "status"])
    assert missing.exit_code == 2
    assert "não existe" in missing.stderr


@pytest.mark.parametrize("given", ["debug", "Debug", " DEBUG "])
def test_log_level_in_any_case(given: str) -> None:
    settings = load_settings({"LOG_LEVEL": given, "DIGITALY_CONFIG": str(ROOT / "config.yaml")})
    assert settings.log_level == "DEBUG"


def test_an_unknown_log_level_is_still_refused() -> None:
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        load_settings({"LOG_LEVEL": "verbose", "DIGITALY_CONFIG": str(ROOT / "config.yaml")})


def _bare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No variable that would tell the command where the project is."""
    for name in ("DIGITALY_CONFIG", "DATA_DIR", "MONGODB_URL", "REDIS_URL", "MONGODB_DB"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    "args", [["staff", "list"], ["reports", "build", "--date", "2026-12-01"], ["run"]]
)
def test_from_another_folder_a_command_says_where_it_looked(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    _bare_environment(monkeypatch)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"digitaly: não há config.yaml em {elsewhere}: rode o digitaly na pasta do projeto "
        "ou diga onde ele está (--config ARQUIVO ou DIGITALY_CONFIG)\n"
    )
    assert list(elsewhere.iterdir()) == []  # no embedded servers started in ./var


def test_a_named_config_brings_its_project_folders_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / "config.yaml").write_text(
        (ROOT / "config.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.chdir(elsewhere)
    _bare_environment(monkeypatch)
    status = CliRunner().invoke(main, ["--config", str(project / "config.yaml"), "db", "status"])
    assert status.exit_code in (0, 1), status.output  # 1: migrations pending on a fresh db
    assert (project / "var" / "mongo").is_dir()  # the project's DATA_DIR, as `run` there uses
    assert list(elsewhere.iterdir()) == []
    settings = load_settings({}, config_path=project / "config.yaml")
    assert (settings.data_dir, settings.flows_dir) == (project / "var", project / "flows")
