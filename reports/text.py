"""pt-BR formatting of dates, times, numbers and durations (no locale, no I/O).

The process's locale is not trusted to be pt_BR on a server, so the few words
needed are spelled out here.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = [
    "format_date",
    "format_datetime",
    "format_duration",
    "format_int",
    "format_long_date",
    "format_percent",
    "format_time",
]

_WEEKDAYS = (
    "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado",
    "domingo",
)  # fmt: skip
_MONTHS = (
    "janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
    "outubro", "novembro", "dezembro",
)  # fmt: skip


def format_date(day: date) -> str:
    """30/11/2026"""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def format_long_date(day: date) -> str:
    """segunda-feira, 30 de novembro de 2026"""
    return f"{_WEEKDAYS[day.weekday()]}, {day.day} de {_MONTHS[day.month - 1]} de {day.year}"


def format_time(moment: datetime, zone: ZoneInfo) -> str:
    """14:30, in ``zone``."""
    return moment.astimezone(zone).strftime("%H:%M")


def format_datetime(moment: datetime, zone: ZoneInfo) -> str:
    """30/11/2026 14:30, in ``zone``."""
    local = moment.astimezone(zone)
    return f"{format_date(local.date())} {local:%H:%M}"


def format_int(value: int) -> str:
    """10.000 (pt-BR groups thousands with a dot)."""
    return f"{value:,}".replace(",", ".")


def format_percent(ratio: float | None) -> str:
    """87,5% (a comma for decimals); an en dash when there is nothing to divide."""
    if ratio is None:
        return "–"
    return f"{ratio * 100:.1f}%".replace(".", ",")


def format_duration(seconds: float | None) -> str:
    """45 s, 12 min, 3 h 05 min, 2 d 4 h; an en dash for none."""
    if seconds is None:
        return "–"
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
