"""Issue 16 in Chromium: an answer given to a person survives the hand-back, and a message
after the end of a conversation gets an answer instead of silence."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from bot.web.keys import CLOCK, DB, STORE
from tests.browser.conftest import Live, artifact, log_in
from tests.browser.test_simulator_console import WAIT_MS, _say, _simulator


async def test_giving_back_to_the_bot_keeps_the_answer_given_to_the_person(
    live: Live, browser: Browser
) -> None:
    page = await _simulator(browser, live, "demo-3")
    await _say(page, "qual é a senha do wifi")
    await _say(page, "hmm xyz abc")
    await expect(page.locator("#state-name")).to_have_text("handoff", timeout=WAIT_MS)

    console = await browser.new_page(viewport={"width": 1280, "height": 900})
    await log_in(console, live, "/console/atendimento")
    await console.locator(".queue a", has_text="Ana Beatriz Lima").click()
    await console.fill("textarea[name=text]", "Posso confirmar sua presença?")
    await console.click("button[name=send]")
    await expect(page.locator(".bubble.staff", has_text="Posso confirmar")).to_be_visible(
        timeout=WAIT_MS
    )
    await _say(page, "sim, pode confirmar")
    await console.reload()
    await expect(
        console.locator(".chat .bubble.patient", has_text="sim, pode confirmar")
    ).to_be_visible(timeout=WAIT_MS)
    await console.screenshot(path=artifact("after-handback-before-giving-back.png"), full_page=True)
    await console.click("text=Devolver ao robô")
    await expect(console.locator(".notice")).to_contain_text("Conversa devolvida ao robô")

    await expect(page.locator(".bubble.bot", has_text="Presença confirmada")).to_be_visible(
        timeout=WAIT_MS
    )
    await expect(page.locator("#state-name")).to_have_text("confirmed", timeout=WAIT_MS)
    await page.screenshot(path=artifact("after-handback-answer-kept.png"), full_page=True)

    await console.goto(live.url + "/console")
    row = console.locator("tr[data-appointment='demo-3']")
    await expect(row.locator("[data-status]")).to_have_attribute("data-status", "confirmed")
    actions = [doc["action"] async for doc in live.app[DB]["audit_log"].find().sort("at", 1)]
    assert actions[-1] == "handoff.give_back"


async def test_an_old_button_after_cancelling_gets_an_answer(live: Live, browser: Browser) -> None:
    page = await _simulator(browser, live, "demo-1")
    reminder = page.locator(".bubble.bot", has_text="Passando para lembrar")
    await reminder.get_by_role("button", name="Desmarcar").click()
    question = page.locator(".bubble.bot", has_text="Você quer mesmo desmarcar")
    await expect(question).to_be_visible(timeout=WAIT_MS)
    await question.get_by_role("button", name="Sim, desmarcar").click()
    offer = page.locator(".bubble.bot", has_text="foi desmarcada")
    await expect(offer).to_be_visible(timeout=WAIT_MS)
    await offer.get_by_role("button", name="Não, obrigado").click()
    await expect(page.locator("#state-name")).to_have_text("closed", timeout=WAIT_MS)

    await reminder.get_by_role("button", name="Confirmar").click()
    answer = page.locator(".bubble.bot", has_text="já foi desmarcada")
    await expect(answer).to_be_visible(timeout=WAIT_MS)
    await expect(answer).to_contain_text("Quer que nossa equipe entre em contato para remarcar?")
    await expect(page.locator("#state-name")).to_have_text("after_cancelled", timeout=WAIT_MS)
    await page.screenshot(path=artifact("after-the-end-old-button.png"), full_page=True)


async def test_a_message_after_confirming_says_it_is_confirmed(
    live: Live, browser: Browser
) -> None:
    page = await _simulator(browser, live, "demo-2")
    reminder = page.locator(".bubble.bot", has_text="Passando para lembrar")
    await reminder.get_by_role("button", name="Confirmar").click()
    await expect(page.locator("#state-name")).to_have_text("confirmed", timeout=WAIT_MS)
    await _say(page, "oi, bom dia")
    answer = page.locator(".bubble.bot", has_text="sua presença já está confirmada")
    await expect(answer).to_be_visible(timeout=WAIT_MS)
    await expect(answer).to_contain_text("Se precisar desmarcar, responda 2")
    await page.screenshot(path=artifact("after-the-end-confirmed.png"), full_page=True)


async def test_the_agenda_shows_who_needs_attention(live: Live, browser: Browser) -> None:
    handed = await _simulator(browser, live, "demo-3")
    await _say(handed, "qual é a senha do wifi")
    await _say(handed, "hmm xyz abc")
    await expect(handed.locator("#state-name")).to_have_text("handoff", timeout=WAIT_MS)

    cancelling = await _simulator(browser, live, "demo-1")
    reminder = cancelling.locator(".bubble.bot", has_text="Passando para lembrar")
    await reminder.get_by_role("button", name="Desmarcar").click()
    question = cancelling.locator(".bubble.bot", has_text="Você quer mesmo desmarcar")
    await question.get_by_role("button", name="Sim, desmarcar").click()
    await expect(cancelling.locator("#state-name")).to_have_text("cancelled", timeout=WAIT_MS)
    store, now = live.app[STORE], live.app[CLOCK]()
    cancellation = await store.cancellations.for_appointment("demo-1")
    assert cancellation is not None
    await store.cancellations.acknowledge(cancellation.id, "failed", "horário bloqueado", now)

    leaving = await _simulator(browser, live, "demo-2")
    await _say(leaving, "SAIR")
    await expect(leaving.locator(".bubble.bot", has_text="escreva VOLTAR")).to_be_visible(
        timeout=WAIT_MS
    )
    await _say(leaving, "VOLTAR")
    await expect(leaving.locator(".bubble.bot", has_text="de volta")).to_be_visible(timeout=WAIT_MS)

    console = await browser.new_page(viewport={"width": 1280, "height": 900})
    await log_in(console, live)
    expected = {
        "demo-3": ("with_staff", "Com a equipe"),
        "demo-1": ("cancel_failed", "Cancelamento não aplicado pelo robô"),
        "demo-2": ("opted_back_in", "Voltou a aceitar mensagens"),
    }
    for appointment_id, (key, label) in expected.items():
        row = console.locator(f"tr[data-appointment='{appointment_id}']")
        await expect(row).to_have_attribute("data-situation", key)
        await expect(row).to_contain_text(label)
    await expect(console.locator("tr[data-appointment='demo-1']")).to_have_class("alert")
    await expect(console.locator("tr[data-appointment='demo-2']")).to_contain_text(
        "(11) 99111-0002"
    )
    await expect(console.locator(".counts .pill", has_text="Com a equipe: 1")).to_have_count(1)
    await console.screenshot(path=artifact("agenda-situations.png"), full_page=True)
