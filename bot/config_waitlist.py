"""The ``waitlist`` section of ``config.yaml``: who may join, how freed times are offered.

Defaults for every unit and specialty, then ``rules`` that change them for one
unit (and one specialty of it); the first rule that fits wins. Errors are in
Portuguese: clinic staff edit this file.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

__all__ = ["Waitlist", "WaitlistPolicy", "WaitlistRule"]

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str) and (match := _DURATION.match(value)):
        return timedelta(seconds=int(match[1]) * _SECONDS[match[2]])
    raise ValueError(
        f"duração inválida {value!r}: use um número e uma unidade, como 30m, 2h ou 14d"
    )


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("a duração precisa ser maior que zero")
    return value


def _batch_size(value: int) -> int:
    if not 1 <= value <= 50:
        raise ValueError(f"batch_size precisa ficar entre 1 e 50 pessoas por vez (está {value})")
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration), AfterValidator(_positive)]
BatchSize = Annotated[int, AfterValidator(_batch_size)]


@dataclass(frozen=True, slots=True)
class WaitlistPolicy:
    """What applies to one unit and specialty."""

    enabled: bool
    far_after: timedelta  # a booking at least this far ahead is offered the waitlist
    batch_size: int  # patients offered a freed time at once
    batch_every: timedelta  # the next batch, if nobody took it
    offer_valid_for: timedelta  # an unanswered offer closes after this
    same_doctor: bool  # offer only the patient's own doctor's times


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WaitlistRule(_Section):
    """Changes for one unit (``specialty`` empty: all of its specialties)."""

    unit: str
    specialty: str = ""
    enabled: bool | None = None
    far_after: Duration | None = None
    batch_size: BatchSize | None = None
    batch_every: Duration | None = None
    offer_valid_for: Duration | None = None
    same_doctor: bool | None = None

    def fits(self, unit: str, specialty: str) -> bool:
        return self.unit == unit and self.specialty.casefold() in ("", specialty.casefold())


class Waitlist(_Section):
    """The waitlist for earlier times (off unless enabled, here or in a rule)."""

    enabled: bool = False
    far_after: Duration = timedelta(days=14)
    batch_size: BatchSize = 3
    batch_every: Duration = timedelta(minutes=10)
    offer_valid_for: Duration = timedelta(hours=2)
    same_doctor: bool = False
    rules: list[WaitlistRule] = []

    def policy(self, unit: str, specialty: str) -> WaitlistPolicy:
        """The defaults, changed by the first rule that fits this unit and specialty."""
        rule = next((r for r in self.rules if r.fits(unit, specialty)), None)

        def pick(name: str) -> Any:
            own = getattr(rule, name) if rule is not None else None
            return getattr(self, name) if own is None else own

        return WaitlistPolicy(
            enabled=pick("enabled"),
            far_after=pick("far_after"),
            batch_size=pick("batch_size"),
            batch_every=pick("batch_every"),
            offer_valid_for=pick("offer_valid_for"),
            same_doctor=pick("same_doctor"),
        )

    def check_units(self, keys: Collection[str]) -> None:
        """A rule must name a unit of ``units`` (a typo would silently change nothing)."""
        for n, rule in enumerate(self.rules):
            if rule.unit not in keys:
                known = ", ".join(sorted(keys)) or "nenhuma"
                raise ValueError(
                    f"waitlist.rules[{n}].unit: a unidade {rule.unit!r} não existe em units "
                    f"(unidades: {known})"
                )
