"""config.yaml's waitlist section: per unit and specialty, bad values refused in Portuguese."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config_waitlist import Waitlist
from bot.core.errors import ConfigError
from bot.settings import load_settings

UNIT = "  - {key: centro, name: C, address: R, whatsapp_sender: 'whatsapp:+5511999990000'}\n"


def _load(tmp_path: Path, text: str) -> Waitlist:
    config = tmp_path / "config.yaml"
    config.write_text("units:\n" + UNIT + text, encoding="utf-8")
    return load_settings({"DIGITALY_CONFIG": str(config)}).waitlist


def test_rules_change_the_defaults_for_a_unit_and_a_specialty(tmp_path: Path) -> None:
    waitlist = _load(
        tmp_path,
        "waitlist:\n  enabled: false\n  batch_every: 15m\n  rules:\n"
        "    - {unit: centro, specialty: cardiologia, enabled: true, batch_size: 5}\n"
        "    - {unit: centro, far_after: 30d}\n",
    )
    cardio = waitlist.policy("centro", "Cardiologia")
    assert (cardio.enabled, cardio.batch_size, cardio.batch_every) == (
        True,
        5,
        timedelta(minutes=15),
    )
    assert cardio.far_after == timedelta(days=14)  # the first rule that fits wins
    other = waitlist.policy("centro", "Dermatologia")
    assert (other.enabled, other.far_after) == (False, timedelta(days=30))
    assert not waitlist.policy("paulista", "Cardiologia").enabled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("waitlist:\n  far_after: logo\n", "duração inválida 'logo'"),
        ("waitlist:\n  batch_every: 0m\n", "a duração precisa ser maior que zero"),
        ("waitlist:\n  batch_size: 0\n", "batch_size precisa ficar entre 1 e 50"),
        (
            "waitlist:\n  rules:\n    - {unit: paulista, enabled: true}\n",
            "a unidade 'paulista' não existe em units (unidades: centro)",
        ),
        ("waitlist:\n  rules:\n    - {unit: centro, batch_size: 99}\n", "entre 1 e 50"),
    ],
)
def test_bad_values_are_refused_in_portuguese(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, text)
    assert expected in str(error.value), str(error.value)
    assert "config.yaml:" in str(error.value)
