"""Texts and pt-BR dates (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.events import Unit
from bot.core.model import Appointment
from bot.core.render import format_date, placeholders, render, variables_for

UNIT = Unit("Clínica Centro", "Rua A, 1", "America/Sao_Paulo")


def appointment(
    starts_at: datetime, doctor: str = "Dra. Ana", name: str = "Maria Silva"
) -> Appointment:
    return Appointment("a", "e", name, "+5511987654321", starts_at, doctor, "centro")


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 12, 1, 17, 30, tzinfo=UTC), "terça-feira, 1 de dezembro, às 14:30"),
        (datetime(2026, 3, 7, 2, 5, tzinfo=UTC), "sexta-feira, 6 de março, às 23:05"),
        (datetime(2027, 1, 3, 12, 0, tzinfo=UTC), "domingo, 3 de janeiro, às 09:00"),
    ],
)
def test_dates_in_the_units_timezone(moment: datetime, text: str) -> None:
    assert variables_for([appointment(moment)], UNIT)["date_time"] == text


def test_two_appointments_the_same_day() -> None:
    first = appointment(datetime(2026, 12, 1, 17, 30, tzinfo=UTC), "Dra. Ana")
    second = appointment(datetime(2026, 12, 1, 19, 0, tzinfo=UTC), "Dr. Paulo")
    values = variables_for([second, first], UNIT)
    assert values["date_time"] == "terça-feira, 1 de dezembro, às 14:30 e às 16:00"
    assert values["appointment_phrase"] == "suas 2 consultas"
    assert values["doctor"] == "Dr. Paulo e Dra. Ana"
    assert values["first_name"] == "Maria"


def test_two_appointments_on_different_days() -> None:
    first = appointment(datetime(2026, 12, 1, 17, 30, tzinfo=UTC))
    second = appointment(datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    assert variables_for([first, second], UNIT)["date_time"] == (
        "terça-feira, 1 de dezembro, às 14:30 e quarta-feira, 2 de dezembro, às 09:00"
    )


def test_render_fills_only_known_placeholders() -> None:
    assert placeholders("Olá, {first_name}! {date} {first_name}") == [
        "first_name",
        "date",
        "first_name",
    ]
    assert render("Olá, {first_name}! { nada }", {"first_name": "Ana"}) == "Olá, Ana! { nada }"
    with pytest.raises(KeyError):
        render("{doctor}", {})


def test_format_date_uses_the_datetimes_own_zone() -> None:
    assert format_date(datetime(2026, 12, 1, 23, 0, tzinfo=UTC)) == "terça-feira, 1 de dezembro"


def test_no_appointment_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        variables_for([], UNIT)
