"""The console's rescheduling page in headless Chromium: a time a patient held, moves pending."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, expect

from bot.core.model import Reschedule, RescheduleState, Slot
from bot.web.keys import CLOCK, STORE
from tests import builders
from tests.browser.conftest import Live, artifact, log_in

WAIT_MS = 20_000
_SP = ZoneInfo("America/Sao_Paulo")


async def _free_times(live: Live) -> list[Slot]:
    """The robot's free times for demo-1 (Maria, Clínica geral with Dra. Cláudia), in 3 days."""
    store, now = live.app[STORE], live.app[CLOCK]()
    day = (now + timedelta(days=3)).astimezone(_SP).replace(minute=0, second=0, microsecond=0)
    slots = [
        builders.slot(
            hour,
            id=f"vaga-{hour}",
            specialty="Clínica geral",
            starts_at=day.replace(hour=hour),
            day=day.date().isoformat(),
        )
        for hour in (9, 14, 16)
    ]
    for slot in slots:
        await store.slots.upsert(slot)
    return slots


async def _a_failed_move(live: Live, slot: Slot) -> None:
    """João's move (demo-2) that the robot could not apply: the time was taken in the legacy system."""
    store, now = live.app[STORE], live.app[CLOCK]()
    move = await store.reschedules.add(
        Reschedule(
            id="move-joao",
            appointment_id="demo-2",
            external_id="DEMO-2",
            slot_id=slot.id,
            slot_external_id=slot.external_id,
            conversation_id="c-demo-2",
            requested_at=now,
            hold_until=now + timedelta(hours=2),
        )
    )
    settled = await store.reschedules.settle(
        move.id, RescheduleState.FAILED, "horário ocupado no sistema", now
    )
    assert settled


async def test_the_console_shows_held_times_and_pending_moves(live: Live, browser: Browser) -> None:
    slots = await _free_times(live)
    await _a_failed_move(live, slots[2])

    simulator = await browser.new_page(viewport={"width": 1400, "height": 900})
    await log_in(simulator, live, "/simulator")
    await simulator.select_option("#appointment", "demo-1")
    await simulator.click("#remind")
    reminder = simulator.locator(".bubble.bot", has_text="Passando para lembrar")
    await reminder.get_by_role("button", name="Remarcar").click(timeout=WAIT_MS)
    offer = simulator.locator(".bubble.bot", has_text="Estes são os horários livres")
    await expect(offer).to_be_visible(timeout=WAIT_MS)
    # The list's items, as the simulator shows them: a tap sends the item's id.
    await expect(offer.locator(".quick button")).to_have_count(3)
    await offer.locator(".quick button").nth(1).click()
    await expect(simulator.locator(".bubble.bot", has_text="Reservamos para você")).to_be_visible(
        timeout=WAIT_MS
    )
    await expect(simulator.locator("#state-name")).to_have_text("slot_requested")

    console = await browser.new_page(viewport={"width": 1280, "height": 900})
    await log_in(console, live)
    await console.click("text=Remarcações")
    held = console.locator("#horarios-reservados tbody tr")
    await expect(held).to_have_count(1)
    await expect(held).to_contain_text("Maria S.")  # masked: first name and an initial
    await expect(held).to_contain_text("+55*********01")
    await expect(held).to_contain_text(f"{slots[1].starts_at:%d/%m} 14:00")
    pending = console.locator("#remarcacoes-pendentes tbody tr")
    await expect(pending).to_have_count(2)
    await expect(pending.filter(has_text="Maria S.")).to_contain_text("Aguardando o robô")
    failed = pending.filter(has_text="João O.")
    await expect(failed).to_contain_text("Não aplicada")
    await expect(failed).to_contain_text("horário ocupado no sistema")
    page_text = await console.locator("main").inner_text()
    assert "Aparecida" not in page_text
    assert "991110001" not in page_text
    await console.screenshot(path=artifact("console-reschedules.png"), full_page=True)
