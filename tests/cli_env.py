"""Pointing the ``digitaly`` CLI, run inside a test, at that test's servers and data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings

__all__ = ["use_settings"]

CONFIG = Path(__file__).resolve().parents[1] / "config.yaml"


def use_settings(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, config: Path = CONFIG, **more: str
) -> None:
    """Set the environment the CLI reads (MongoDB, Redis, data, config file, and ``more``)."""
    assert settings.mongodb_url
    assert settings.redis_url
    values = {
        "MONGODB_URL": settings.mongodb_url,
        "MONGODB_DB": settings.mongodb_db,
        "REDIS_URL": settings.redis_url,
        "DATA_DIR": str(settings.data_dir),
        "DIGITALY_CONFIG": str(config),
    }
    for name, value in (values | more).items():
        monkeypatch.setenv(name, value)
