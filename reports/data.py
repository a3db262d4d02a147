"""A day's report, computed from what conversations and deliveries recorded.

PURE: appointments, conversations, outbox entries and cancellations in, a
frozen :class:`DailyReport` out. No I/O, no clock (``generated_at`` is passed
in). The PDF and the CSV are both drawn from one ``DailyReport``, so they
cannot disagree.

What a reader gets (LGPD: only what a clinic manager needs): patient name,
appointment code, doctor, time, outcome and its reason. Never a phone number
or a message body.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.core.model import (
    Appointment,
    AppointmentStatus,
    Cancellation,
    Conversation,
    OutboxEntry,
    OutboxState,
    decisions_of,
    is_reminder,
)

__all__ = [
    "AppointmentLine",
    "DailyReport",
    "DayData",
    "ErrorCount",
    "Group",
    "Outcome",
    "ReportKind",
    "Stats",
    "TrendPoint",
    "build_report",
    "day_bounds",
    "error_label",
]

TREND_DAYS = 14

_DELIVERED = frozenset({"delivered", "read"})
_UNDELIVERED = frozenset({"failed", "undelivered"})
_GAVE_UP = frozenset({OutboxState.FAILED, OutboxState.DEAD})

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
    UNDELIVERED = "undelivered"
    OPTED_OUT = "opted_out"


OUTCOME_LABELS = {
    Outcome.CONFIRMED: "Confirmada",
    Outcome.CANCELLED: "Desmarcada",
    Outcome.RESCHEDULE: "Quer remarcar",
    Outcome.NO_ANSWER: "Sem resposta",
    Outcome.UNDELIVERED: "Lembrete não entregue",
    Outcome.OPTED_OUT: "Não quer mensagens",
}

_OUTCOMES = {
    AppointmentStatus.CONFIRMED: Outcome.CONFIRMED,
    AppointmentStatus.CANCEL_REQUESTED: Outcome.CANCELLED,
    AppointmentStatus.CANCELLED: Outcome.CANCELLED,
    AppointmentStatus.RESCHEDULE_REQUESTED: Outcome.RESCHEDULE,
    AppointmentStatus.NO_RESPONSE: Outcome.NO_ANSWER,
    AppointmentStatus.SCHEDULED: Outcome.NO_ANSWER,
    AppointmentStatus.DELIVERY_FAILED: Outcome.UNDELIVERED,
    AppointmentStatus.OPTED_OUT: Outcome.OPTED_OUT,
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
            undelivered=outcomes[Outcome.UNDELIVERED],
            opted_out=outcomes[Outcome.OPTED_OUT],
            reminders_sent=sum(line.reminders_sent for line in lines),
            reminders_delivered=sum(line.reminders_delivered for line in lines),
            reminders_read=sum(line.reminders_read for line in lines),
            reminders_failed=sum(line.reminders_failed for line in lines),
            answered=len(answers),
            median_answer_seconds=statistics.median(answers) if answers else None,
        )


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
        """Cancellations the robot reported it could not apply in the clinic's system."""
        return tuple(line for line in self.lines if line.cancellation == "failed")


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The day's first instant and the next day's, in UTC, with the day cut in ``timezone``."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def build_report(
    data: DayData,
    *,
    kind: ReportKind,
    day: date,
    clinic: str,
    scope: str,
    unit: str | None,
    timezone: str,
    unit_names: Mapping[str, str],
    generated_at: datetime,
) -> DailyReport:
    """The report of ``day`` for one unit (``unit``) or the whole network (``None``)."""
    start, end = day_bounds(day, timezone)
    appointments = [
        a
        for a in data.appointments
        if start <= a.starts_at < end and (unit is None or a.unit == unit)
    ]
    ids = {a.id for a in appointments}
    conversations = {c.id: c for c in data.conversations if ids.intersection(c.appointment_ids)}
    reminders = _reminders_by_appointment(data.outbox, conversations, ids)
    answers = _answers_by_appointment(conversations.values(), ids)
    cancellations = {c.appointment_id: c for c in data.cancellations if c.appointment_id in ids}
    lines = sorted(
        (
            _line(
                a,
                unit_names.get(a.unit, a.unit),
                reminders.get(a.id, ()),
                answers.get(a.id),
                cancellations.get(a.id),
            )
            for a in appointments
        ),
        key=lambda line: (line.unit_name, line.doctor, line.starts_at, line.patient_name),
    )
    return DailyReport(
        kind=kind,
        day=day,
        clinic=clinic,
        scope=scope,
        unit=unit,
        timezone=timezone,
        generated_at=generated_at,
        lines=tuple(lines),
        totals=Stats.of(lines),
        by_unit=_groups(lines, by_doctor=False),
        by_doctor=_groups(lines, by_doctor=True),
        errors=_errors(lines),
        trend=_trend(data.history, appointments, day, timezone),
    )


def _reminders_by_appointment(
    outbox: Iterable[OutboxEntry], conversations: Mapping[str, Conversation], ids: set[str]
) -> dict[str, list[OutboxEntry]]:
    """Each reminder counted once: on the first of its conversation's appointments in the day.

    A reminder may cover several appointments of one patient; counting it once
    keeps every unit's and doctor's figures adding up to the totals.
    """
    found: dict[str, list[OutboxEntry]] = defaultdict(list)
    for entry in outbox:
        conversation = conversations.get(entry.conversation_id or "")
        if not is_reminder(entry.kind) or conversation is None:
            continue
        owners = [a for a in conversation.appointment_ids if a in ids]
        found[owners[0]].append(entry)
    return found


def _answers_by_appointment(
    conversations: Iterable[Conversation], ids: set[str]
) -> dict[str, tuple[datetime, float]]:
    """The earliest first answer to a reminder per appointment: (when, seconds after it)."""
    found: dict[str, tuple[datetime, float]] = {}
    for conversation in conversations:
        decisions = decisions_of(conversation.data)
        if not decisions or "at" not in decisions[0]:
            continue
        at = decisions[0]["at"]
        answered = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        seconds = max(0.0, (answered - conversation.created_at).total_seconds())
        for appointment_id in conversation.appointment_ids:
            if appointment_id in ids and (
                appointment_id not in found or answered < found[appointment_id][0]
            ):
                found[appointment_id] = (answered, seconds)
    return found


def _line(
    appointment: Appointment,
    unit_name: str,
    reminders: Sequence[OutboxEntry],
    answer: tuple[datetime, float] | None,
    cancellation: Cancellation | None,
) -> AppointmentLine:
    sent = sum(1 for e in reminders if e.state is OutboxState.SENT)
    delivered = sum(1 for e in reminders if e.delivery_status in _DELIVERED)
    read = sum(1 for e in reminders if e.delivery_status == "read")
    failures = [e for e in reminders if e.state in _GAVE_UP or e.delivery_status in _UNDELIVERED]
    codes = tuple(e.delivery_error_code or e.error_code for e in failures)
    robot = (cancellation.result or "pending") if cancellation else None
    detail = cancellation.detail if cancellation else ""
    return AppointmentLine(
        appointment_id=appointment.id,
        code=appointment.external_id,
        unit=appointment.unit,
        unit_name=unit_name,
        doctor=appointment.doctor,
        specialty=appointment.specialty,
        patient_name=appointment.patient_name,
        starts_at=appointment.starts_at,
        status=appointment.status,
        outcome=_OUTCOMES[appointment.status],
        reason=_reason(appointment.status, sent, codes, robot, detail),
        reminders_sent=sent,
        reminders_delivered=delivered,
        reminders_read=read,
        reminders_failed=len(failures),
        error_codes=codes,
        answered_at=answer[0] if answer else None,
        answer_seconds=answer[1] if answer else None,
        cancellation=robot,
        cancellation_detail=detail,
    )


def _reason(
    status: AppointmentStatus,
    sent: int,
    codes: tuple[int | None, ...],
    robot: str | None,
    detail: str,
) -> str:
    """Why the patient is where they are, in a manager's words (with what to do)."""
    reminders = f"{sent} lembrete{'s' if sent != 1 else ''}"
    match status:
        case AppointmentStatus.CONFIRMED:
            return "Confirmou pelo WhatsApp."
        case AppointmentStatus.CANCEL_REQUESTED | AppointmentStatus.CANCELLED if robot == "failed":
            why = f": {detail.rstrip('.')}" if detail else ""
            return (
                f"Desmarcou pelo WhatsApp, mas o robô não conseguiu aplicar no sistema{why}. "
                "Desmarcar manualmente."
            )
        case AppointmentStatus.CANCEL_REQUESTED:
            return "Desmarcou pelo WhatsApp; aguardando o robô aplicar no sistema."
        case AppointmentStatus.CANCELLED:
            return "Desmarcou pelo WhatsApp." if robot else "Desmarcada pela clínica."
        case AppointmentStatus.RESCHEDULE_REQUESTED:
            return "Pediu para remarcar; a equipe vai entrar em contato."
        case AppointmentStatus.NO_RESPONSE:
            return f"Não respondeu ({reminders}). Ligar para o paciente."
        case AppointmentStatus.DELIVERY_FAILED:
            why = error_label(codes[-1]) if codes else "sem código de erro"
            return f"{why[:1].upper()}{why[1:]}. Ligar para o paciente."
        case AppointmentStatus.OPTED_OUT:
            return "Pediu para não receber mensagens. Ligar para o paciente."
        case _:  # SCHEDULED
            return f"Ainda sem resposta ({reminders})." if sent else "Nenhum lembrete enviado."


def _groups(lines: Sequence[AppointmentLine], *, by_doctor: bool) -> tuple[Group, ...]:
    grouped: dict[tuple[str, str, str | None], list[AppointmentLine]] = defaultdict(list)
    for line in lines:
        grouped[(line.unit_name, line.unit, line.doctor if by_doctor else None)].append(line)
    ordered = sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][2] or ""))
    return tuple(
        Group(unit=key, unit_name=name, doctor=doctor, stats=Stats.of(members))
        for (name, key, doctor), members in ordered
    )


def _errors(lines: Sequence[AppointmentLine]) -> tuple[ErrorCount, ...]:
    counts = Counter(code for line in lines for code in line.error_codes)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or 0))
    return tuple(ErrorCount(code, error_label(code), n) for code, n in ordered)


def _trend(
    history: Iterable[tuple[datetime, AppointmentStatus]],
    today: Sequence[Appointment],
    day: date,
    timezone: str,
) -> tuple[TrendPoint, ...]:
    """Appointments and confirmations per local day, for the TREND_DAYS days ending with ``day``.

    Earlier days come from ``history`` (what it says about ``day`` itself is
    ignored); ``day`` from its own appointments, so the last bar matches the report.
    """
    zone = ZoneInfo(timezone)
    first = day - timedelta(days=TREND_DAYS - 1)
    totals: Counter[date] = Counter()
    confirmed: Counter[date] = Counter()
    for starts_at, status in history:
        local = starts_at.astimezone(zone).date()
        if first <= local < day:
            totals[local] += 1
            confirmed[local] += status is AppointmentStatus.CONFIRMED
    if not totals:
        return ()
    totals[day] = len(today)
    confirmed[day] = sum(1 for a in today if a.status is AppointmentStatus.CONFIRMED)
    days = (first + timedelta(days=n) for n in range(TREND_DAYS))
    return tuple(TrendPoint(d, totals[d], confirmed[d]) for d in days)
