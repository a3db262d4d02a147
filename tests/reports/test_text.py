"""pt-BR formatting, by table."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from reports.text import (
    format_date,
    format_datetime,
    format_duration,
    format_int,
    format_long_date,
    format_percent,
)

SP = ZoneInfo("America/Sao_Paulo")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (format_date(date(2026, 3, 7)), "07/03/2026"),
        (format_long_date(date(2026, 11, 30)), "segunda-feira, 30 de novembro de 2026"),
        (format_long_date(date(2026, 3, 7)), "sábado, 7 de março de 2026"),
        (format_datetime(datetime(2026, 12, 1, 2, 30, tzinfo=UTC), SP), "30/11/2026 23:30"),
        (format_int(10000), "10.000"),
        (format_percent(0.875), "87,5%"),
        (format_percent(None), "–"),
        (format_duration(42), "42 s"),
        (format_duration(61 * 60 + 5), "1 h 01 min"),
        (format_duration(26 * 3600), "1 d 2 h"),
        (format_duration(None), "–"),
    ],
)
def test_formats(value: str, expected: str) -> None:
    assert value == expected
