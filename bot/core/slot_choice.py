"""Offering free times as a numbered list, and reading the patient's pick.

A pick is a number from the list ("2", "opção dois", "2️⃣"), "nenhum", words
naming a day or a time that fit exactly one offered time ("terça à tarde",
"dia 9 às 14h", "a de quinta de manhã"), or a tap on an item of the WhatsApp
list the offer also went out as (its id, ``slot:<slot id>``). Anything else is
not a pick: the flow reads it as usual (an opt-out, a question) or asks again.

The list's limits are Twilio's for ``twilio/list-picker`` content
(twilio.com/docs/content/twiliolist-picker): 1 to 10 items, an item's text at
most 24 characters, its id at most 200, its description at most 72.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.core.menu_words import menu_number
from bot.core.render import format_date
from bot.core.wording import fold

__all__ = [
    "ITEM_PREFIX",
    "NONE",
    "ListItem",
    "SlotChoice",
    "choices_from",
    "list_items",
    "offer_text",
    "pick",
    "to_data",
]

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

ITEM_PREFIX = "slot:"  # a list item's id: the prefix and the slot's id
ListItem = tuple[str, str, str]  # (id, item, description), as twilio/list-picker has them
# Twilio's limits for a twilio/list-picker (twilio.com/docs/content/twiliolist-picker).
MAX_ITEMS, MAX_ITEM, MAX_ID, MAX_DESCRIPTION = 10, 24, 200, 72
_SHORT_DAYS = ("seg", "ter", "qua", "qui", "sex", "sáb", "dom")


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


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def list_items(choices: Sequence[SlotChoice]) -> tuple[ListItem, ...]:
    """The offered times as list items (``ter 08/12 às 09:00`` / ``com Dra. Cláudia``).

    Empty when they cannot all be items (none, over ten, an id too long): the
    numbered text then goes alone.
    """
    items = tuple(
        (
            ITEM_PREFIX + c.id,
            f"{_SHORT_DAYS[c.starts_at.weekday()]} {c.starts_at:%d/%m} às {c.starts_at:%H:%M}",
            _clip(f"com {c.doctor}", MAX_DESCRIPTION),
        )
        for c in choices
    )
    if not items or len(items) > MAX_ITEMS or any(len(i[0]) > MAX_ID for i in items):
        return ()
    return items


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


def pick(
    text: str, choices: Sequence[SlotChoice], item_id: str | None = None
) -> int | Literal["none"] | None:
    """The index of the offered time picked, ``NONE`` for "nenhum", None if no pick.

    ``item_id`` is the list item tapped, if any: it wins over the text (which is
    then the item's own words). An item of an older list names no offered time.
    """
    if item_id is not None and item_id.startswith(ITEM_PREFIX):
        tapped = item_id.removeprefix(ITEM_PREFIX)
        return next((n for n, c in enumerate(choices) if c.id == tapped), None)
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
