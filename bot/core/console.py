"""Ports of the staff console and the simulator: staff accounts and the pages' read model.

The MongoDB implementations are ``bot.adapters.staff.StaffDirectory`` and
``bot.adapters.console_reads.ConsoleReads``; the pages see only these.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.core.model import Appointment, Conversation
from bot.core.ports import Cancellation, Reschedule, RescheduleState

__all__ = ["ConsoleReadModel", "Line", "Session", "StaffAccounts", "UnknownSender"]


@dataclass(frozen=True, slots=True)
class Session:
    """A staff member's login session (the cookie holds ``token``)."""

    token: str
    email: str
    name: str
    csrf: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Line:
    """One message of an exchange, as a person reads it."""

    id: str
    at: datetime
    side: str  # patient | bot | staff
    text: str
    buttons: tuple[tuple[str, str], ...] = ()
    template: bool = False
    state: str = ""  # outbox delivery state, for the bot's and staff's lines

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "side": self.side,
            "text": self.text,
            "buttons": [list(b) for b in self.buttons],
            "template": self.template,
        }


@dataclass(frozen=True, slots=True)
class UnknownSender:
    """A message from a WhatsApp id that is not a phone number: only a person can place it."""

    sid: str
    at: datetime
    user_id: str  # as received (whatsapp:BR.…), never read as a phone
    text: str


class StaffAccounts(Protocol):
    """Staff accounts, their sessions and the audit log of their actions."""

    async def ensure_indexes(self) -> None: ...
    async def create(self, name: str, email: str, password: str, now: datetime) -> bool: ...
    async def log_in(self, email: str, password: str, now: datetime) -> Session | None: ...
    async def session(self, token: str, now: datetime) -> Session | None: ...
    async def log_out(self, token: str) -> None: ...
    async def record(self, staff: str, action: str, now: datetime, **ids: str | None) -> None: ...
    async def recent_actions(self, limit: int = 50) -> list[dict[str, Any]]: ...


class ConsoleReadModel(Protocol):
    """What the console and the simulator pages read (and the simulator's own resets)."""

    async def appointments_between(self, start: datetime, end: datetime) -> list[Appointment]: ...
    async def upcoming(self, since: datetime, limit: int = 60) -> list[Appointment]: ...
    async def count_appointments(self) -> int: ...
    async def handed_off(self, limit: int = 100) -> list[Conversation]: ...
    async def unknown_senders(self, limit: int = 100) -> list[UnknownSender]:
        """Newest first: messages whose sender is not a phone number (see bot.core.phones)."""
        ...

    async def latest_for_phone(self, phones: Sequence[str]) -> Conversation | None: ...
    async def last_inbound_at(self, phones: Sequence[str]) -> datetime | None: ...
    async def exchange(self, conversation: Conversation) -> list[Line]: ...
    async def failed_cancellations(self, limit: int = 100) -> list[Cancellation]: ...
    async def simulator_lines(self, phones: Sequence[str], since: datetime) -> list[Line]: ...
    async def simulator_session(self, phone: str) -> tuple[int, datetime | None]: ...
    async def reset_simulator(self, phones: Sequence[str], now: datetime) -> int: ...
    async def forget_cancellation(self, appointment_id: str) -> None: ...
    async def moves(
        self, states: Collection[RescheduleState], limit: int = 100
    ) -> list[Reschedule]:
        """Patients' moves in ``states``, newest first (the console's rescheduling page)."""
        ...
