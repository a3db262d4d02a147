"""Message texts: ``{variable}`` placeholders filled from a closed set of variables.

Only the variables in :data:`VARIABLES` exist; a flow naming another one is
refused by the checker, so rendering never meets an unknown name. Dates are
written the Brazilian way in the unit's timezone: "terça-feira, 1 de
dezembro, às 14:30".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.events import Unit
from bot.core.flow_spec import Message
from bot.core.model import Appointment

__all__ = [
    "VARIABLES",
    "Rendered",
    "format_date",
    "placeholders",
    "render",
    "rendered",
    "variables_for",
]

# The specialty is left out on purpose: it can reveal a health condition (LGPD, necessity).
VARIABLES: Mapping[str, str] = {
    "first_name": "the patient's first name",
    "date_time": 'date and time, e.g. "terça-feira, 1 de dezembro, às 14:30"',
    "date": 'date, e.g. "terça-feira, 1 de dezembro"',
    "time": 'time, e.g. "14:30"',
    "doctor": "the doctor's name",
    "unit_name": "the unit's name",
    "unit_address": "the unit's address",
    "appointment_phrase": '"sua consulta", or "suas 2 consultas" when a reminder covers several',
    "slot_list": "the free times offered, numbered, one per line (set when they are offered)",
    "new_date_time": "the date and time the patient picked (set when it is held)",
    "new_doctor": "the doctor of the time the patient picked (set when it is held)",
}

_WEEKDAYS = (
    "segunda-feira",
    "terça-feira",
    "quarta-feira",
    "quinta-feira",
    "sexta-feira",
    "sábado",
    "domingo",
)
_MONTHS = (
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def format_date(moment: datetime) -> str:
    """``"terça-feira, 1 de dezembro"`` for an aware datetime, in its own timezone."""
    return f"{_WEEKDAYS[moment.weekday()]}, {moment.day} de {_MONTHS[moment.month - 1]}"


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " e " + items[-1]


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


def variables_for(appointments: Sequence[Appointment], unit: Unit) -> dict[str, str]:
    """Every variable's value for a conversation about ``appointments`` (one or more)."""
    if not appointments:
        raise ValueError("a conversation needs at least one appointment")
    zone = ZoneInfo(unit.timezone)
    local = sorted(a.starts_at.astimezone(zone) for a in appointments)
    days = _unique([format_date(moment) for moment in local])
    times = [f"{moment:%H:%M}" for moment in local]
    if len(days) == 1:
        date_time = f"{days[0]}, " + _join([f"às {t}" for t in times])
    else:
        date_time = _join([f"{format_date(m)}, às {m:%H:%M}" for m in local])
    count = len(appointments)
    return {
        "first_name": appointments[0].first_name,
        "date_time": date_time,
        "date": _join(days),
        "time": _join(times),
        "doctor": _join(_unique([a.doctor for a in appointments]) or [""]),
        "unit_name": unit.name,
        "unit_address": unit.address,
        "appointment_phrase": "sua consulta" if count == 1 else f"suas {count} consultas",
    }


def placeholders(text: str) -> list[str]:
    """The variable names a text uses, in order of appearance."""
    return _PLACEHOLDER.findall(text)


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders; an unknown name raises KeyError (the checker prevents it)."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A flow message made concrete: its text, and its template's sid and slot values if any."""

    text: str
    content_sid: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    buttons: tuple[tuple[str, str], ...] = ()  # (payload id, label)


def rendered(message: Message, values: Mapping[str, str], appointments: int = 1) -> Rendered:
    """``message`` with ``values`` filled in, as text and as its template's variables, in
    the form that agrees with the number of ``appointments`` it is about."""
    text, template = message.form(appointments)
    return Rendered(
        text=render(text, values),
        content_sid=template.content_sid if template else None,
        variables={slot: values[var] for slot, var in template.variables.items()}
        if template
        else {},
        buttons=tuple((b.id, b.label) for b in message.buttons),
    )
