"""Composition helpers shared by the roots (web app, scheduler, worker, CLI).

Builds the services from settings and already-open clients; owns no lifecycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.core.consent import ConsentWords
from bot.core.events import Signal, Unit
from bot.core.ports import FlowCatalog, Locks, Store, TaskQueue
from bot.core.reminders import SendingWindow
from bot.services.conversations import ConversationService, UnitInfo
from bot.services.reminders import ReminderPolicy, ReminderService
from bot.services.reschedules import RescheduleService
from bot.services.rescheduling import ReschedulePolicy, SlotOffers
from bot.services.waitlist import WaitlistService
from bot.settings import Settings

__all__ = ["Services", "create_services", "unit_infos"]


@dataclass(frozen=True)
class Services:
    conversations: ConversationService
    reminders: ReminderService
    reschedules: RescheduleService
    waitlist: WaitlistService


def unit_infos(settings: Settings) -> dict[str, UnitInfo]:
    return {
        unit.key: UnitInfo(Unit(unit.name, unit.address, unit.timezone), unit.whatsapp_sender)
        for unit in settings.units
    }


def reminder_policy(settings: Settings) -> ReminderPolicy:
    windows = {}
    for unit in settings.units:
        hours = settings.sending_hours(unit)
        windows[unit.key] = SendingWindow(unit.timezone, hours.start, hours.end, hours.sundays)
    reminders = settings.reminders
    return ReminderPolicy(
        offsets=tuple(reminders.offsets),
        min_lead=reminders.min_lead,
        windows=windows,
        flow=reminders.flow,
        notify_on_clinic_cancel=reminders.notify_patient_on_clinic_cancel,
        clinic_cancel_notice=reminders.clinic_cancel_notice,
    )


def create_services(
    settings: Settings,
    *,
    store: Store,
    flows: FlowCatalog,
    queue: TaskQueue,
    locks: Locks,
    clock: Clock,
) -> Services:
    conversations = ConversationService(
        store=store,
        flows=flows,
        queue=queue,
        locks=locks,
        units=unit_infos(settings),
        clock=clock,
        burst_window=settings.conversations.burst_window,
        consent=ConsentWords(
            opt_out_words=frozenset(settings.conversations.opt_out_words),
            opt_out_message=settings.conversations.opt_out_message,
            opt_in_words=frozenset(settings.conversations.opt_in_words),
            opt_in_message=settings.conversations.opt_in_message,
        ),
        slots=SlotOffers(
            store,
            {unit.key: unit.timezone for unit in settings.units},
            ReschedulePolicy(
                settings.rescheduling.offer_count,
                settings.rescheduling.min_lead,
                settings.rescheduling.hold_for,
            ),
            clock,
        ),
    )

    async def notify(conversation_id: str, signal: Signal, slot_id: str) -> bool:
        return await conversations.signal(conversation_id, signal, holding=slot_id)

    return Services(
        conversations=conversations,
        reminders=ReminderService(store, conversations, reminder_policy(settings)),
        reschedules=RescheduleService(store, notify, clock),
        waitlist=WaitlistService(
            store,
            conversations,
            settings.waitlist,
            {unit.key: unit.timezone for unit in settings.units},
            settings.rescheduling.min_lead,
            clock,
        ),
    )
