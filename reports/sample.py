"""A made-up but realistic clinic day, for previews, tests and the benchmark.

Deterministic for a seed. Every name is invented; phone numbers are in a
range no real subscriber has (+55 11 90000-xxxx is unassigned here on
purpose). ``seed_sample`` writes a day through the real Store, so a report
built from it goes through the same reads as production.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.model import (
    Appointment,
    AppointmentStatus,
    Cancellation,
    Conversation,
    ConversationStatus,
    DecisionRecord,
    MessageKind,
    OutboxEntry,
    OutboxState,
    Reschedule,
    RescheduleState,
    with_decisions,
)
from bot.core.ports import Store
from reports.data import TREND_DAYS, DayData

__all__ = ["SampleUnit", "sample_day", "seed_sample"]

_FIRST = (
    "Maria", "José", "Ana", "João", "Antônio", "Francisca", "Luís", "Conceição", "Márcia",
    "Sebastião", "Letícia", "Gonçalo", "Inês", "Vitória", "Cauã", "Luíza", "Júlia", "Ângela",
    "Ênio", "Mônica", "Raí", "Iara", "Tânia", "Cláudio", "Débora", "Fábio", "Lúcia", "Otávio",
)  # fmt: skip
_LAST = (
    "da Silva", "dos Santos", "Oliveira", "Souza", "Peçanha", "Araújo", "Gonçalves", "Conceição",
    "Magalhães", "Simões", "Fontes", "Brandão", "Guimarães", "Assunção", "Nóbrega", "Damião",
    "Falcão", "Lustosa", "Calçada", "Ribeiro", "Coutinho", "Loureiro", "Tavares", "Mendonça",
)  # fmt: skip
_DOCTORS = (
    ("Dra. Cláudia Guimarães", "Clínica geral"), ("Dr. Ricardo Nunes", "Cardiologia"),
    ("Dra. Fernanda Rocha", "Dermatologia"), ("Dr. Marcelo Tavares", "Ortopedia"),
    ("Dra. Luíza Brandão", "Pediatria"), ("Dr. Antônio Simões", "Oftalmologia"),
    ("Dra. Patrícia Magalhães", "Ginecologia"), ("Dr. João Falcão", "Endocrinologia"),
    ("Dra. Helena Assunção", "Neurologia"), ("Dr. Sérgio Araújo", "Otorrinolaringologia"),
    ("Dra. Mônica Loureiro", "Psiquiatria"), ("Dr. Cássio Damião", "Urologia"),
)  # fmt: skip
# (status, weight): roughly what a clinic network sees the morning after
_OUTCOMES = (
    (AppointmentStatus.CONFIRMED, 62), (AppointmentStatus.CANCELLED, 5),
    (AppointmentStatus.CANCEL_REQUESTED, 4), (AppointmentStatus.RESCHEDULE_REQUESTED, 4),
    (AppointmentStatus.NO_RESPONSE, 12), (AppointmentStatus.SCHEDULED, 4),
    (AppointmentStatus.DELIVERY_FAILED, 7), (AppointmentStatus.OPTED_OUT, 2),
)  # fmt: skip
_INTENTS = {
    AppointmentStatus.CONFIRMED: "confirm",
    AppointmentStatus.CANCELLED: "cancel",
    AppointmentStatus.CANCEL_REQUESTED: "cancel",
    AppointmentStatus.RESCHEDULE_REQUESTED: "reschedule",
    AppointmentStatus.OPTED_OUT: "opt_out",
}
_FAILURES: tuple[tuple[int, OutboxState, str | None], ...] = ((63024, OutboxState.FAILED, None), (30003, OutboxState.SENT, "undelivered"),
             (63003, OutboxState.FAILED, None), (30006, OutboxState.SENT, "failed"))  # fmt: skip
_ROBOT_ERRORS = (
    "Agenda bloqueada no sistema da clínica",
    "Consulta já faturada: cancelamento exige supervisor",
    "Tempo esgotado ao abrir a tela de agendamentos",
)


@dataclass(frozen=True, slots=True)
class SampleUnit:
    key: str
    timezone: str
    sender: str  # whatsapp:+55...


def sample_day(
    day: date, units: Sequence[SampleUnit], count: int, *, seed: int = 7, history: bool = True
) -> DayData:
    """``count`` appointments on ``day`` spread over ``units``, with what a day records."""
    rng = random.Random(seed)
    appointments: list[Appointment] = []
    conversations: list[Conversation] = []
    outbox: list[OutboxEntry] = []
    cancellations: list[Cancellation] = []
    doctors_per_unit = max(3, min(len(_DOCTORS), count // (120 * max(1, len(units))) + 4))
    statuses, weights = zip(*_OUTCOMES, strict=True)
    for n in range(count):
        unit = units[n % len(units)]
        zone = ZoneInfo(unit.timezone)
        offset = (units.index(unit) * 5) % len(_DOCTORS)
        doctor, specialty = _DOCTORS[(offset + rng.randrange(doctors_per_unit)) % len(_DOCTORS)]
        slot = rng.randrange(7 * 4, 19 * 4)  # quarter hours from 07:00 to 18:45
        starts_at = datetime.combine(day, time(slot // 4, slot % 4 * 15), zone).astimezone(UTC)
        status = rng.choices(statuses, weights)[0]
        appointment = Appointment(
            id=f"s{day:%Y%m%d}-{n}",
            external_id=f"AG-{day:%y%m%d}-{n:05d}",
            patient_name=f"{rng.choice(_FIRST)} {rng.choice(_FIRST)} {rng.choice(_LAST)}",
            phone=f"+551190000{n % 10000:04d}",
            starts_at=starts_at,
            doctor=doctor,
            unit=unit.key,
            specialty=specialty,
            status=status,
        )
        appointments.append(appointment)
        if status is AppointmentStatus.SCHEDULED and rng.random() < 0.5:
            continue  # booked too late for a reminder
        conversation, entries = _conversation(rng, appointment, unit)
        conversations.append(conversation)
        outbox += entries
        if status in (AppointmentStatus.CANCELLED, AppointmentStatus.CANCEL_REQUESTED):
            cancellations.append(_cancellation(rng, appointment, conversation))
    past = _history(rng, day, units, count) if history else ()
    return DayData(appointments, conversations, outbox, cancellations, past)


def _conversation(
    rng: random.Random, appointment: Appointment, unit: SampleUnit
) -> tuple[Conversation, list[OutboxEntry]]:
    status = appointment.status
    created = appointment.starts_at - timedelta(hours=24, minutes=rng.randrange(0, 180))
    decisions: list[DecisionRecord] = []
    if status in _INTENTS:
        # Most answer within the hour; a long tail answers the next morning.
        delay = timedelta(minutes=min(rng.lognormvariate(2.6, 1.3), 20 * 60))
        decisions.append(
            {"at": (created + delay).isoformat(), "state": "awaiting_reply",
             "intent": _INTENTS[status], "rule": "button", "reason": "button"}
        )  # fmt: skip
    elif status is AppointmentStatus.NO_RESPONSE and zlib.crc32(appointment.id.encode()) % 4 == 0:
        # A quarter of the silent ones chose "Manter consulta" first, then went quiet
        # (picked by id, not by rng: the rest of the sample stays as it was).
        asked = created + timedelta(minutes=20)
        decisions += [
            {"at": asked.isoformat(), "state": "awaiting_reply", "intent": "cancel",
             "rule": "button", "reason": "button"},
            {"at": (asked + timedelta(minutes=1)).isoformat(), "state": "confirm_cancel",
             "intent": "no", "rule": "button", "reason": "button"},
        ]  # fmt: skip
    conversation = Conversation(
        id=f"c-{appointment.id}",
        phone=appointment.phone,
        flow="confirmation",
        flow_version="sample",
        state="done",
        appointment_ids=(appointment.id,),
        created_at=created,
        updated_at=created,
        version=1,
        status=ConversationStatus.DONE,
        data=with_decisions(decisions),
    )
    kinds: list[str] = [MessageKind.REMINDER]
    if status in (AppointmentStatus.NO_RESPONSE, AppointmentStatus.SCHEDULED):
        kinds.append(MessageKind.REMINDER_2)
    entries = []
    for number, kind in enumerate(kinds):
        state, code = OutboxState.SENT, None
        delivery: str | None = rng.choice(("read", "read", "delivered"))
        if status is AppointmentStatus.DELIVERY_FAILED:
            code, state, delivery = rng.choice(_FAILURES)
        elif status is AppointmentStatus.NO_RESPONSE:
            delivery = rng.choice(("delivered", "delivered", "sent"))
        entries.append(
            OutboxEntry(
                key=f"{conversation.id}:{kind}",
                conversation_id=conversation.id,
                phone=appointment.phone,
                sender=unit.sender,
                kind=kind,
                text="",
                created_at=created + timedelta(hours=12 * number),
                state=state,
                attempts=1,
                provider_sid=f"SM{rng.getrandbits(128):032x}"
                if state is OutboxState.SENT
                else None,
                error_code=code if state is OutboxState.FAILED else None,
                delivery_status=delivery,
                delivery_error_code=code if state is OutboxState.SENT else None,
            )
        )
    return conversation, entries


def _cancellation(
    rng: random.Random, appointment: Appointment, conversation: Conversation
) -> Cancellation:
    requested = conversation.created_at + timedelta(minutes=30)
    if appointment.status is AppointmentStatus.CANCELLED:
        result, detail = "applied", ""
    elif rng.random() < 0.4:
        result, detail = "failed", rng.choice(_ROBOT_ERRORS)
    else:
        result, detail = None, ""
    return Cancellation(
        id=f"x-{appointment.id}",
        appointment_id=appointment.id,
        external_id=appointment.external_id,
        requested_at=requested,
        result=result,
        detail=detail,
        acked_at=requested + timedelta(minutes=5) if result else None,
    )


def _history(
    rng: random.Random, day: date, units: Sequence[SampleUnit], count: int
) -> list[tuple[datetime, AppointmentStatus]]:
    """The previous days' (starts_at, status), for the trend chart."""
    found: list[tuple[datetime, AppointmentStatus]] = []
    for back in range(1, TREND_DAYS):
        past = day - timedelta(days=back)
        if past.weekday() == 6:
            continue  # closed on Sundays
        zone = ZoneInfo(units[0].timezone)
        size = int(count * rng.uniform(0.8, 1.1) * (0.5 if past.weekday() == 5 else 1))
        rate = rng.uniform(0.55, 0.72)
        at = datetime.combine(past, time(10), zone).astimezone(UTC)
        found += [
            (
                at,
                AppointmentStatus.CONFIRMED
                if rng.random() < rate
                else AppointmentStatus.NO_RESPONSE,
            )
            for _ in range(size)
        ]
    return found


async def seed_sample(store: Store, data: DayData) -> None:
    """Write a sample day through the Store (appointments with their status, then the rest)."""
    units = sorted({a.unit for a in data.appointments}) or [""]
    for n, (starts_at, status) in enumerate(data.history):
        await store.appointments.upsert(
            Appointment(
                id=f"h-{n}", external_id=f"H-{starts_at:%y%m%d}-{n}", patient_name="", phone="",
                starts_at=starts_at, doctor="", unit=units[n % len(units)], status=status,
            )
        )  # fmt: skip
    for appointment in data.appointments:
        await store.appointments.upsert(appointment)
    for conversation in data.conversations:
        await store.conversations.create(conversation)
    for entry in data.outbox:
        await store.outbox.add(entry)
    for cancellation in data.cancellations:
        await store.cancellations.add(cancellation)
        if cancellation.result is not None and cancellation.acked_at is not None:
            await store.cancellations.acknowledge(
                cancellation.id, cancellation.result, cancellation.detail, cancellation.acked_at
            )
    for move in data.reschedules:
        await _seed_move(store, move)


async def _seed_move(store: Store, move: Reschedule) -> None:
    """A move as the robot left it: held, then acknowledged or expired."""
    await store.reschedules.add(replace(move, state=RescheduleState.HELD, detail=""))
    if move.state is RescheduleState.EXPIRED:
        await store.reschedules.expire(move.id, move.hold_until)
    elif move.state is not RescheduleState.HELD:
        await store.reschedules.settle(move.id, move.state, move.detail, move.requested_at)
