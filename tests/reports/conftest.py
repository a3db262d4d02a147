"""Fixtures for the report tests: a day of made-up data written through the real stores."""

from __future__ import annotations

from datetime import date

import pytest

from bot.settings import Settings
from reports.data import DayData
from reports.sample import SampleUnit, sample_day

DAY = date(2026, 11, 30)


def units(settings: Settings) -> list[SampleUnit]:
    return [SampleUnit(u.key, u.timezone, u.whatsapp_sender) for u in settings.units]


@pytest.fixture
def day_data(memory_settings: Settings) -> DayData:
    """60 appointments over the configured units, with conversations, deliveries, cancellations."""
    return sample_day(DAY, units(memory_settings), 60, seed=11)
