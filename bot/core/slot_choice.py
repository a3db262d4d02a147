"""Offering free times as a numbered list, and reading the patient's pick.

A pick is a number from the list ("2", "opção dois", "2️⃣"), "nenhum", or words
naming a day or a time that fit exactly one offered time ("terça à tarde",
"dia 9 às 14h", "a de quinta de manhã"). Anything else is not a pick: the
flow reads it as usual (an opt-out, a question) or asks again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.core.intents import menu_number
from bot.core.render import format_date
from bot.core.wording import fold

__all__ = ["NONE", "SlotChoice", "choices_from", "offer_text", "pick", "to_data"]

NONE: Literal["none"] = "none"

_WEEKDAYS = {
    "segunda": 0,
    "terca": 1,
    "quarta": 2,
    "quinta": 3,
    "sexta": 4,
    "sabado": 5,
    "domingo": 6,
}
# (first hour, last hour + 1) of the parts of the day as people say them.
_PERIODS = {"manha": (0, 12), "tarde": (12, 18), "noite": (18, 24)}
_NONE_WORDS = frozenset({"nenhum", "nenhuma", "nenhum deles", "nenhuma delas"})
_CLOCK = re.compile(r"\b(\d{1,2})\s*(?:h|:|hs|horas?)\s*(\d{2})?\b")
_AT_HOUR = re.compile(r"\bas (\d{1,2})\b")
_DAY = re.compile(r"\bdia (\d{1,2})\b")
_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class SlotChoice:
    """One offered time, as the patient sees it: ``starts_at`` is in the unit's timezone."""

    id: str
    starts_at: datetime
    doctor: str

    @property
    def label(self) -> str:
        return f"{format_date(self.starts_at)}, às {self.starts_at:%H:%M}, com {self.doctor}"


def to_data(choices: Sequence[SlotChoice]) -> list[dict[str, str]]:
    """JSON-able, for the conversation's data."""
    return [{"id": c.id, "starts_at": c.starts_at.isoformat(), "doctor": c.doctor} for c in choices]


def choices_from(data: Any) -> list[SlotChoice]:
    """Back from the conversation's data (an unreadable entry is skipped)."""
    found: list[SlotChoice] = []
    for item in data if isinstance(data, list) else []:
        try:
            moment = datetime.fromisoformat(item["starts_at"])
            found.append(SlotChoice(str(item["id"]), moment, str(item["doctor"])))
        except (KeyError, TypeError, ValueError):
            continue
    return found


def offer_text(choices: Sequence[SlotChoice]) -> str:
    """``1. terça-feira, 8 de dezembro, às 09:00, com Dra. Cláudia`` one per line."""
    return "\n".join(f"{n}. {choice.label}" for n, choice in enumerate(choices, start=1))


def _fits(choice: SlotChoice, text: str, tokens: set[str]) -> bool | None:
    """Whether ``choice`` fits what the text names; None when the text names no day or time."""
    moment = choice.starts_at
    named = False
    fits = True
    days = {_WEEKDAYS[t] for t in tokens if t in _WEEKDAYS}
    if days:
        named, fits = True, fits and moment.weekday() in days
    if (day := _DAY.search(text)) is not None:
        named, fits = True, fits and moment.day == int(day.group(1))
    periods = [_PERIODS[t] for t in tokens if t in _PERIODS and f"a{t}" not in tokens]
    if periods:
        named, fits = True, fits and any(lo <= moment.hour < hi for lo, hi in periods)
    time = _CLOCK.search(text) or _AT_HOUR.search(text)
    if time is not None:
        hour, minute = int(time.group(1)), int(time.group(2) or 0) if time.re is _CLOCK else 0
        named, fits = True, fits and (moment.hour, moment.minute) == (hour, minute)
    return fits if named else None


def pick(text: str, choices: Sequence[SlotChoice]) -> int | Literal["none"] | None:
    """The index of the offered time the text picks, ``NONE`` for "nenhum", None if no pick."""
    folded = " ".join(_TOKEN.findall(fold(text)))
    tokens = folded.split()
    if not tokens:
        return None
    if folded in _NONE_WORDS or (tokens[0] in ("nenhum", "nenhuma") and len(tokens) <= 4):
        return NONE
    number = menu_number(tokens)
    if number is not None:
        index = int(number) - 1
        if 0 <= index < len(choices):
            return index
    spaced = fold(text)
    fitting = [n for n, c in enumerate(choices) if _fits(c, spaced, set(tokens))]
    return fitting[0] if len(fitting) == 1 else None
