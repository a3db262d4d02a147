"""``digitaly reports build``: a file a manager can open."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("fmt", ["pdf", "csv"])
def test_build_a_preview_from_sample_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setenv("DIGITALY_CONFIG", str(ROOT / "config.yaml"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "var"))
    out = tmp_path / f"report.{fmt}"
    result = CliRunner().invoke(
        main,
        ["reports", "build", "--date", "2026-11-30", "--unit", "centro", "--demo", "80",
         "--format", fmt, "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF" if fmt == "pdf" else b"\xef\xbb\xbf")
    assert "consulta(s)" in result.output


def test_an_unknown_unit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITALY_CONFIG", str(ROOT / "config.yaml"))
    result = CliRunner().invoke(
        main, ["reports", "build", "--date", "2026-11-30", "--unit", "nowhere", "--demo", "5"]
    )
    assert result.exit_code == 2
    assert (
        "a unidade 'nowhere' não existe no config.yaml (unidades: centro, paulista)"
        in result.output
    )
