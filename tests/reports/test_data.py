"""The pure report model: from what conversations and deliveries recorded to lists and figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.effects import SetAppointmentStatus
from bot.core.engine import start, step
from bot.core.events import Reply, Timeout, Unit
from bot.core.flow_check import check_flow
from bot.core.model import Appointment, AppointmentStatus, Conversation, ConversationStatus
from bot.core.ports import Cancellation, OutboxEntry, OutboxState
from reports.data import DailyReport, DayData, Outcome, ReportKind, build_report, day_bounds
from reports.records import to_contact
from tests import builders

DAY = date(2026, 11, 30)
TZ = "America/Sao_Paulo"
# 10:00 in São Paulo (UTC-3)
TEN = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
NAMES = {"centro": "Clínica Centro", "paulista": "Clínica Paulista"}


def _appointment(n: int, status: AppointmentStatus, **changes: object) -> Appointment:
    return builders.appointment(
        **{
            "id": f"a{n}",
            "external_id": f"LEG-{n}",
            "patient_name": f"Paciente {n} Conceição",
            "phone": f"+55119876500{n:02d}",
            "starts_at": TEN + timedelta(minutes=15 * n),
            "doctor": "Dra. Cláudia Guimarães" if n % 2 else "Dr. Ricardo Nunes",
            "status": status,
            **changes,
        }
    )


FLOW = Path(__file__).resolve().parents[2] / "flows" / "confirmation.yaml"


def _conversation(n: int, *ids: str, answered_after: timedelta | None = None) -> Conversation:
    created = TEN - timedelta(hours=24)
    decisions = []
    if answered_after is not None:
        decisions.append({"at": (created + answered_after).isoformat(), "intent": "confirm"})
    return builders.conversation(
        id=f"c{n}",
        phone="+5511987650000",
        state="done",
        appointment_ids=ids or (f"a{n}",),
        created_at=created,
        updated_at=created,
        data={"decisions": decisions},
    )


def _reminder(n: int, kind: str = "reminder", **changes: object) -> OutboxEntry:
    return builders.outbox_entry(
        f"c{n}:{kind}",
        **{
            "conversation_id": f"c{n}",
            "phone": "+5511987650000",
            "kind": kind,
            "text": "",
            "created_at": TEN - timedelta(days=1),
            "content_sid": None,
            "variables": {},
            "buttons": (),
            "state": OutboxState.SENT,
            "delivery_status": "delivered",
            **changes,
        },
    )


def _build(data: DayData, unit: str | None = "centro") -> DailyReport:
    return build_report(
        data, kind=ReportKind.SUMMARY, day=DAY, clinic="Rede", scope="Clínica Centro",
        unit=unit, timezone=TZ, unit_names=NAMES, generated_at=TEN,
    )  # fmt: skip


def test_day_bounds_follow_the_units_timezone() -> None:
    start, end = day_bounds(DAY, TZ)
    assert start == datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def test_the_day_is_cut_at_local_midnight_and_other_units_are_left_out() -> None:
    late = _appointment(
        1, AppointmentStatus.CONFIRMED, starts_at=datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    )
    next_day = _appointment(
        2, AppointmentStatus.CONFIRMED, starts_at=datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    )
    other = _appointment(3, AppointmentStatus.CONFIRMED, unit="paulista")
    report = _build(DayData([late, next_day, other]))
    assert [line.code for line in report.lines] == ["LEG-1"]  # 23:30 local on the 30th
    assert [line.code for line in _build(DayData([late, next_day, other]), None).lines] == [
        "LEG-1", "LEG-3",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "cancellation", "outcome", "reason"),
    [
        (AppointmentStatus.CONFIRMED, None, Outcome.CONFIRMED, "Confirmou pelo WhatsApp."),
        (AppointmentStatus.CANCEL_REQUESTED, None, Outcome.CANCELLED, "aguardando o robô"),
        (AppointmentStatus.CANCEL_REQUESTED, "failed", Outcome.CANCELLED, "não conseguiu aplicar no sistema: Agenda bloqueada"),
        (AppointmentStatus.CANCELLED, "applied", Outcome.CANCELLED, "Desmarcou pelo WhatsApp."),
        (AppointmentStatus.CANCELLED, None, Outcome.CANCELLED, "Desmarcada pela clínica."),
        (AppointmentStatus.RESCHEDULE_REQUESTED, None, Outcome.RESCHEDULE, "Pediu para remarcar"),
        (AppointmentStatus.NO_RESPONSE, None, Outcome.NO_ANSWER, "Não respondeu (1 lembrete)"),
        (AppointmentStatus.SCHEDULED, None, Outcome.NO_ANSWER, "Ainda sem resposta (1 lembrete)"),
        (AppointmentStatus.OPTED_OUT, None, Outcome.OPTED_OUT, "não receber mensagens"),
    ],
)  # fmt: skip
def test_each_status_gets_its_outcome_and_reason(
    status: AppointmentStatus, cancellation: str | None, outcome: Outcome, reason: str
) -> None:
    cancellations = []
    if status in (AppointmentStatus.CANCEL_REQUESTED, AppointmentStatus.CANCELLED) and cancellation:
        cancellations.append(
            Cancellation("x1", "a1", "LEG-1", TEN, result=cancellation, detail="Agenda bloqueada")
        )
    data = DayData([_appointment(1, status)], [_conversation(1)], [_reminder(1)], cancellations)
    (line,) = _build(data).lines
    assert line.outcome is outcome
    assert reason in line.reason
    assert (line in _build(data).presence) is (outcome is Outcome.CONFIRMED)
    assert (line in _build(data).failed_cancellations) is (cancellation == "failed")


def test_an_undelivered_reminder_names_its_error() -> None:
    data = DayData(
        [_appointment(1, AppointmentStatus.DELIVERY_FAILED)],
        [_conversation(1)],
        [_reminder(1, state=OutboxState.FAILED, delivery_status=None, error_code=63024)],
    )
    report = _build(data)
    assert "Número sem WhatsApp (63024)" in report.lines[0].reason
    assert [(e.code, e.count) for e in report.errors] == [(63024, 1)]
    assert report.totals.reminders_failed == 1
    assert report.totals.reminders_sent == 0


def test_reminder_figures_and_answer_times() -> None:
    appointments = [
        _appointment(1, AppointmentStatus.CONFIRMED),
        _appointment(2, AppointmentStatus.CONFIRMED),
        _appointment(3, AppointmentStatus.NO_RESPONSE),
        _appointment(4, AppointmentStatus.CANCEL_REQUESTED),
    ]
    conversations = [
        _conversation(1, answered_after=timedelta(minutes=10)),
        _conversation(2, answered_after=timedelta(minutes=30)),
        _conversation(3),
        _conversation(4, answered_after=timedelta(minutes=90)),
    ]
    outbox = [
        _reminder(1, delivery_status="read"),
        _reminder(2),
        _reminder(3),
        _reminder(3, "reminder_2", delivery_status="undelivered", delivery_error_code=30003),
        _reminder(4, delivery_status="sent"),
        _reminder(4, "reply"),  # not a reminder: not counted
    ]
    report = _build(DayData(appointments, conversations, outbox))
    totals = report.totals
    assert (totals.appointments, totals.confirmed, totals.cancelled, totals.no_answer) == (
        4,
        2,
        1,
        1,
    )
    assert totals.confirmation_rate == 0.5
    assert (totals.reminders_sent, totals.reminders_delivered, totals.reminders_read) == (5, 3, 1)
    assert totals.reminders_failed == 1
    assert totals.median_answer_seconds == 30 * 60
    # every doctor's and unit's figures add up to the totals
    for groups in (report.by_doctor, report.by_unit):
        assert sum(g.stats.appointments for g in groups) == totals.appointments
        assert sum(g.stats.reminders_sent for g in groups) == totals.reminders_sent
        assert sum(g.stats.confirmed for g in groups) == totals.confirmed


def test_a_reminder_covering_two_appointments_is_counted_once() -> None:
    appointments = [
        _appointment(1, AppointmentStatus.CONFIRMED),
        _appointment(2, AppointmentStatus.CONFIRMED),
    ]
    conversation = _conversation(1, "a1", "a2", answered_after=timedelta(minutes=5))
    report = _build(DayData(appointments, [conversation], [_reminder(1)]))
    assert report.totals.reminders_sent == 1
    assert [line.answer_seconds for line in report.lines] == [300, 300]


def test_the_trend_covers_fourteen_days_ending_with_the_day() -> None:
    history = [
        (TEN - timedelta(days=3), AppointmentStatus.CONFIRMED),
        (TEN - timedelta(days=3), AppointmentStatus.NO_RESPONSE),
        (TEN - timedelta(days=20), AppointmentStatus.CONFIRMED),  # too old
        (TEN, AppointmentStatus.NO_RESPONSE),  # the day itself comes from its appointments
    ]
    report = _build(DayData([_appointment(1, AppointmentStatus.CONFIRMED)], history=history))
    assert len(report.trend) == 14
    assert report.trend[-1].day == DAY
    assert (report.trend[-1].appointments, report.trend[-1].confirmed) == (1, 1)
    assert (report.trend[-4].appointments, report.trend[-4].confirmed) == (2, 1)
    assert sum(p.appointments for p in report.trend) == 3


def test_sample_day_is_consistent(day_data: DayData) -> None:
    report = _build(day_data, None)
    assert report.totals.appointments == 60
    assert len(report.presence) + len(report.absences) == 60
    assert {line.outcome for line in report.presence} == {Outcome.CONFIRMED}


def _kept_then_silent_conversation() -> tuple[Conversation, AppointmentStatus]:
    """The real flow: reminder, "Desmarcar", "Manter consulta", then silence until it ends."""
    flow = check_flow(FLOW.read_text(encoding="utf-8"), str(FLOW)).flow
    assert flow is not None
    now = TEN - timedelta(days=1)
    appointment = _appointment(1, AppointmentStatus.SCHEDULED)
    result = start(
        flow, conversation_id="c1", phone=appointment.phone, appointments=[appointment],
        unit=Unit("Centro", "Rua X"), now=now,
    )  # fmt: skip
    for button in ("cancel", "cancel_no"):
        now += timedelta(minutes=1)
        result = step(flow, result.conversation, Reply(f"m-{button}", now, button_id=button), now)
    status = AppointmentStatus.SCHEDULED
    while result.conversation.status is ConversationStatus.ACTIVE:
        due = result.conversation.timeout_at
        assert due is not None, result.conversation.state
        result = step(flow, result.conversation, Timeout(due), due)
        for effect in result.effects:
            if isinstance(effect, SetAppointmentStatus):
                status = effect.status
    return replace(result.conversation, created_at=TEN - timedelta(days=1)), status


def test_kept_then_silent_is_counted_apart_from_no_answer() -> None:
    kept, status = _kept_then_silent_conversation()
    assert status is AppointmentStatus.NO_RESPONSE  # what the flow records for both
    appointments = [
        _appointment(1, status),
        _appointment(2, AppointmentStatus.NO_RESPONSE),  # never answered
        _appointment(3, AppointmentStatus.CONFIRMED),
    ]
    conversations = [kept, _conversation(2), _conversation(3, answered_after=timedelta(hours=1))]
    report = _build(
        DayData(appointments, conversations, [_reminder(1), _reminder(2), _reminder(3)])
    )
    by_id = {line.appointment_id: line for line in report.lines}
    assert by_id["a1"].outcome is Outcome.KEPT_SILENT
    assert by_id["a1"].outcome_label == "Manteve a consulta sem confirmar"
    assert "Escolheu manter a consulta e não respondeu mais" in by_id["a1"].reason
    assert by_id["a2"].outcome is Outcome.NO_ANSWER
    totals = report.totals
    assert (totals.no_answer, totals.kept_silent, totals.confirmed) == (1, 1, 1)
    assert to_contact(totals) == 2
    assert [line.appointment_id for line in report.absences] == ["a1", "a2"]
    # the groups add up to the totals for the new count too
    assert sum(g.stats.kept_silent for g in report.by_doctor) == 1
