"""What can happen to a conversation: the inputs of :func:`bot.core.engine.step`.

Plain frozen data. The services build them from webhooks (``Reply``), from
messages debounced together (``Burst``) and from the scheduler (``Timeout``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Burst", "Event", "Reply", "Signal", "Timeout", "Unit"]


@dataclass(frozen=True, slots=True)
class Reply:
    """One message from the patient.

    ``button_id`` is Twilio's ``ButtonPayload`` (the id set in the template),
    never the label. A reaction arrives with ``is_reaction`` and the emoji, if
    the provider gave one, as ``text``.
    """

    message_id: str
    received_at: datetime
    text: str = ""
    button_id: str | None = None
    media_count: int = 0
    is_reaction: bool = False


@dataclass(frozen=True, slots=True)
class Burst:
    """Several replies sent in a quick burst ("oi" / "bom dia" / "confirmo"), decided together."""

    replies: tuple[Reply, ...]


@dataclass(frozen=True, slots=True)
class Timeout:
    """The scheduler saw ``conversation.timeout_at`` pass; ``due_at`` is the value it saw.

    A timeout whose ``due_at`` no longer matches the conversation (it moved on
    meanwhile) is stale and changes nothing.
    """

    due_at: datetime


@dataclass(frozen=True, slots=True)
class Signal:
    """Something the outside world settled for the conversation (see ``machine.SIGNALS``).

    ``values`` fill message variables (the held time, its doctor) from then on.
    """

    name: str
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Unit:
    """The clinic unit an appointment is at, as the messages need it."""

    name: str
    address: str
    timezone: str = "America/Sao_Paulo"


Event = Reply | Burst | Timeout | Signal
