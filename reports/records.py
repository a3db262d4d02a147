"""What a day's report holds: its kinds, outcomes, lines, statistics and groups (plain data).

Built by :func:`reports.data.build_report`; drawn by the PDF and the CSV.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.core.model import (
    Appointment,
    AppointmentStatus,
    Cancellation,
    Conversation,
    Opening,
    OutboxEntry,
    Reschedule,
)
from reports.moves import MoveStats
from reports.waitlist import WaitlistFigures

__all__ = [
    "OUTCOME_LABELS",
    "TO_CONTACT",
    "TREND_DAYS",
    "AppointmentLine",
    "DailyReport",
    "DayData",
    "ErrorCount",
    "Group",
    "Outcome",
    "ReportKind",
    "Stats",
    "TrendPoint",
    "error_label",
    "to_contact",
]

TREND_DAYS = 14


# Twilio error codes a manager may see, in words (config.yaml's sending.errors lists them).
_ERRORS = {
    20429: "limite de envio do Twilio",
    21211: "número inválido",
    21610: "paciente pediu para sair",
    30003: "aparelho desligado ou fora de área",
    30005: "destino desconhecido",
    30006: "telefone fixo ou operadora inacessível",
    30007: "bloqueada como spam",
    30008: "erro da operadora",
    30500: "erro interno do Twilio",
    63003: "número inativo",
    63014: "paciente bloqueou a clínica",
    63016: "fora da janela de 24 horas",
    63017: "limite de envio da conta",
    63018: "limite de envio do número",
    63021: "modelo de mensagem inválido",
    63024: "número sem WhatsApp",
}


def error_label(code: int | None) -> str:
    """What a delivery error code means, in a manager's words."""
    if code is None:
        return "sem código de erro"
    return f"{_ERRORS.get(code, 'erro')} ({code})"


class ReportKind(StrEnum):
    EXPECTED = "expected"  # the evening before: who is expected, who still has not answered
    SUMMARY = "summary"  # the morning after: absentees and statistics of a finished day


class Outcome(StrEnum):
    """What became of an appointment, as the statistics count it."""

    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    RESCHEDULE = "reschedule"
    NO_ANSWER = "no_answer"
    # Chose "Manter consulta" when asked to confirm a cancellation, then never answered
    # again: the agenda's "Manteve a consulta sem confirmar", counted apart from silence.
    KEPT_SILENT = "kept_silent"
    UNDELIVERED = "undelivered"
    OPTED_OUT = "opted_out"


OUTCOME_LABELS = {
    Outcome.CONFIRMED: "Confirmada",
    Outcome.CANCELLED: "Desmarcada",
    Outcome.RESCHEDULE: "Quer remarcar",
    Outcome.NO_ANSWER: "Sem resposta",
    Outcome.KEPT_SILENT: "Manteve a consulta sem confirmar",
    Outcome.UNDELIVERED: "Lembrete não entregue",
    Outcome.OPTED_OUT: "Não quer mensagens",
}


@dataclass(frozen=True, slots=True)
class AppointmentLine:
    """One appointment of the day with everything the lists and statistics need."""

    appointment_id: str
    code: str  # the legacy system's id: what the clinic looks the patient up by
    unit: str
    unit_name: str
    doctor: str
    specialty: str
    patient_name: str
    starts_at: datetime
    status: AppointmentStatus
    outcome: Outcome
    reason: str
    reminders_sent: int = 0
    reminders_delivered: int = 0
    reminders_read: int = 0
    reminders_failed: int = 0
    error_codes: tuple[int | None, ...] = ()  # one per failed reminder
    answered_at: datetime | None = None
    answer_seconds: float | None = None
    cancellation: str | None = None  # pending | applied | failed (the robot's result)
    cancellation_detail: str = ""

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


@dataclass(frozen=True, slots=True)
class Stats:
    appointments: int = 0
    confirmed: int = 0
    cancelled: int = 0
    rescheduled: int = 0
    no_answer: int = 0
    kept_silent: int = 0
    undelivered: int = 0
    opted_out: int = 0
    reminders_sent: int = 0
    reminders_delivered: int = 0
    reminders_read: int = 0
    reminders_failed: int = 0
    answered: int = 0
    median_answer_seconds: float | None = None

    @property
    def confirmation_rate(self) -> float | None:
        return self.confirmed / self.appointments if self.appointments else None

    @classmethod
    def of(cls, lines: Sequence[AppointmentLine]) -> Stats:
        outcomes = Counter(line.outcome for line in lines)
        answers = [line.answer_seconds for line in lines if line.answer_seconds is not None]
        return cls(
            appointments=len(lines),
            confirmed=outcomes[Outcome.CONFIRMED],
            cancelled=outcomes[Outcome.CANCELLED],
            rescheduled=outcomes[Outcome.RESCHEDULE],
            no_answer=outcomes[Outcome.NO_ANSWER],
            kept_silent=outcomes[Outcome.KEPT_SILENT],
            undelivered=outcomes[Outcome.UNDELIVERED],
            opted_out=outcomes[Outcome.OPTED_OUT],
            reminders_sent=sum(line.reminders_sent for line in lines),
            reminders_delivered=sum(line.reminders_delivered for line in lines),
            reminders_read=sum(line.reminders_read for line in lines),
            reminders_failed=sum(line.reminders_failed for line in lines),
            answered=len(answers),
            median_answer_seconds=statistics.median(answers) if answers else None,
        )


# The outcomes a person should call about: one list for the PDF's figure and the e-mail's.
TO_CONTACT = ("no_answer", "kept_silent", "undelivered", "opted_out")


def to_contact(stats: Stats) -> int:
    """How many patients of ``stats`` someone should call."""
    return sum(int(getattr(stats, name)) for name in TO_CONTACT)


@dataclass(frozen=True, slots=True)
class Group:
    """Statistics of one unit or one doctor."""

    unit: str
    unit_name: str
    doctor: str | None
    stats: Stats

    @property
    def label(self) -> str:
        return self.doctor if self.doctor is not None else self.unit_name


@dataclass(frozen=True, slots=True)
class ErrorCount:
    code: int | None
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class TrendPoint:
    day: date
    appointments: int
    confirmed: int


@dataclass(frozen=True, slots=True)
class DayData:
    """What the store holds about a day: the report's whole input."""

    appointments: Sequence[Appointment]
    conversations: Sequence[Conversation] = ()
    outbox: Sequence[OutboxEntry] = ()
    cancellations: Sequence[Cancellation] = ()
    # (starts_at, status) of every appointment in the TREND_DAYS days ending with the day.
    history: Sequence[tuple[datetime, AppointmentStatus]] = ()
    reschedules: Sequence[Reschedule] = ()  # moves away from the day's appointments
    # Times cancellations freed that were filled on the day (reports.waitlist).
    waitlist_filled: Sequence[Opening] = ()


@dataclass(frozen=True, slots=True)
class DailyReport:
    kind: ReportKind
    day: date
    clinic: str
    scope: str  # the unit's name, or the network's
    unit: str | None  # the unit's key; None for the whole network
    timezone: str
    generated_at: datetime
    lines: tuple[AppointmentLine, ...]  # by unit, doctor, time
    totals: Stats
    by_unit: tuple[Group, ...]
    by_doctor: tuple[Group, ...]
    errors: tuple[ErrorCount, ...]
    trend: tuple[TrendPoint, ...] = field(default=())
    moves: MoveStats = field(default_factory=MoveStats)  # rescheduling in the chat
    waitlist: WaitlistFigures = field(default_factory=WaitlistFigures)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def presence(self) -> tuple[AppointmentLine, ...]:
        """Lista de presença: who confirmed, by doctor and time."""
        return tuple(line for line in self.lines if line.outcome is Outcome.CONFIRMED)

    @property
    def absences(self) -> tuple[AppointmentLine, ...]:
        """Lista de ausentes: everyone else, by time, each with the reason."""
        found = [line for line in self.lines if line.outcome is not Outcome.CONFIRMED]
        return tuple(sorted(found, key=lambda line: (line.unit_name, line.starts_at, line.doctor)))

    @property
    def failed_cancellations(self) -> tuple[AppointmentLine, ...]:
        """Cancellations the robot reported it could not apply in the clinic's system, by
        appointment time (the order a person works through them in the scheduling system)."""
        found = [line for line in self.lines if line.cancellation == "failed"]
        return tuple(sorted(found, key=lambda line: (line.starts_at, line.patient_name)))
