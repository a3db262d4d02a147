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

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.model import (
    Appointment,
    AppointmentStatus,
    Cancellation,
    Conversation,
    OutboxEntry,
    OutboxState,
    chose_to_keep,
    decisions_of,
    is_reminder,
)
from reports.moves import move_stats
from reports.records import (
    OUTCOME_LABELS,
    TREND_DAYS,
    AppointmentLine,
    DailyReport,
    DayData,
    ErrorCount,
    Group,
    Outcome,
    ReportKind,
    Stats,
    TrendPoint,
    error_label,
)
from reports.waitlist import waitlist_figures

__all__ = [
    "OUTCOME_LABELS",
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
    "build_report",
    "day_bounds",
    "error_label",
]


_DELIVERED = frozenset({"delivered", "read"})
_UNDELIVERED = frozenset({"failed", "undelivered"})
_GAVE_UP = frozenset({OutboxState.FAILED, OutboxState.DEAD})


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
    kept = {a for c in conversations.values() if chose_to_keep(c.data) for a in c.appointment_ids}
    cancellations = {c.appointment_id: c for c in data.cancellations if c.appointment_id in ids}
    lines = sorted(
        (
            _line(
                a,
                unit_names.get(a.unit, a.unit),
                reminders.get(a.id, ()),
                answers.get(a.id),
                cancellations.get(a.id),
                kept=a.id in kept,
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
        moves=move_stats(data.reschedules, ids),
        waitlist=waitlist_figures(data.waitlist_filled, start, end, unit),
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
    *,
    kept: bool,
) -> AppointmentLine:
    sent = sum(1 for e in reminders if e.state is OutboxState.SENT)
    delivered = sum(1 for e in reminders if e.delivery_status in _DELIVERED)
    read = sum(1 for e in reminders if e.delivery_status == "read")
    failures = [e for e in reminders if e.state in _GAVE_UP or e.delivery_status in _UNDELIVERED]
    codes = tuple(e.delivery_error_code or e.error_code for e in failures)
    robot = (cancellation.result or "pending") if cancellation else None
    detail = cancellation.detail if cancellation else ""
    outcome = _OUTCOMES[appointment.status]
    if (
        outcome is Outcome.NO_ANSWER
        and kept
        and appointment.status is AppointmentStatus.NO_RESPONSE
    ):
        outcome = Outcome.KEPT_SILENT
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
        outcome=outcome,
        reason=_reason(appointment.status, sent, codes, robot, detail, kept=kept),
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
    *,
    kept: bool = False,
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
        case AppointmentStatus.NO_RESPONSE if kept:
            return (
                f"Escolheu manter a consulta e não respondeu mais ({reminders}). "
                "Ligar para confirmar a presença."
            )
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
