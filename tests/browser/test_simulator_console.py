"""A newcomer's tour in headless Chromium: the simulator plays the patient, the console shows it."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from bot.web.keys import DB
from tests.browser.conftest import Live, artifact, log_in

WAIT_MS = 20_000


async def _simulator(browser: Browser, live: Live, appointment_id: str) -> Page:
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    await log_in(page, live, "/simulator")  # the simulator is for signed-in staff only
    await expect(page.locator(f"#appointment option[value='{appointment_id}']")).to_have_count(1)
    await page.select_option("#appointment", appointment_id)
    await page.click("#remind")
    reminder = page.locator(".bubble.bot", has_text="Passando para lembrar")
    await expect(reminder).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#state-name")).to_have_text("awaiting_reply", timeout=WAIT_MS)
    return page


async def _say(page: Page, text: str) -> None:
    await page.fill("#reply", text)
    await page.press("#reply", "Enter")
    await expect(page.locator(".bubble.patient", has_text=text)).to_be_visible(timeout=WAIT_MS)


async def test_confirm_in_the_simulator_shows_confirmed_in_the_console(
    live: Live, browser: Browser
) -> None:
    page = await _simulator(browser, live, "demo-1")
    reminder = page.locator(".bubble.bot", has_text="Passando para lembrar")
    await expect(reminder.locator(".quick button")).to_have_text(
        ["Confirmar", "Desmarcar", "Remarcar"]
    )
    await reminder.get_by_role("button", name="Confirmar").click()
    await expect(page.locator(".bubble.bot", has_text="Presença confirmada")).to_be_visible(
        timeout=WAIT_MS
    )
    await expect(page.locator("#state-name")).to_have_text("confirmed", timeout=WAIT_MS)
    await expect(page.locator("#diagram svg g.node.atual")).to_have_count(1)
    await page.screenshot(path=artifact("simulator-confirmed.png"), full_page=True)

    console = await browser.new_page(viewport={"width": 1280, "height": 900})
    await log_in(console, live)
    row = console.locator("tr[data-appointment='demo-1']")
    await expect(row.locator("[data-status]")).to_have_attribute("data-status", "confirmed")
    await expect(row).to_contain_text("Confirmada")
    await console.screenshot(path=artifact("console-agenda.png"), full_page=True)

    await console.click("text=Fluxos")
    await expect(console.locator(".diagram svg g.node")).to_have_count(
        33 + 12 + 24, timeout=WAIT_MS
    )  # the three flows drawn: confirmation, satisfaction, waitlist
    await console.screenshot(path=artifact("console-flows.png"), full_page=True)

    phone = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    await log_in(phone, live)
    await phone.screenshot(path=artifact("console-agenda-phone.png"), full_page=True)
    await phone.goto(live.url + "/simulator")
    await phone.select_option("#appointment", "demo-1")
    await expect(phone.locator(".bubble.bot", has_text="Presença confirmada")).to_be_visible(
        timeout=WAIT_MS
    )
    await phone.screenshot(path=artifact("simulator-phone.png"), full_page=True)


async def test_two_unknown_replies_reach_staff_and_their_reply_reaches_the_patient(
    live: Live, browser: Browser
) -> None:
    page = await _simulator(browser, live, "demo-3")
    await _say(page, "qual é a senha do wifi")
    await expect(page.locator(".bubble.bot", has_text="Desculpe, não entendi")).to_be_visible(
        timeout=WAIT_MS
    )
    await _say(page, "hmm xyz abc")
    await expect(page.locator(".bubble.bot", has_text="uma pessoa da nossa equipe")).to_be_visible(
        timeout=WAIT_MS
    )
    await expect(page.locator("#state-name")).to_have_text("handoff", timeout=WAIT_MS)

    console = await browser.new_page(viewport={"width": 1280, "height": 900})
    await log_in(console, live, "/console/atendimento")
    item = console.locator(".queue a", has_text="Ana Beatriz Lima")
    await expect(item).to_contain_text("não entendeu")
    await item.click()
    await expect(console.locator(".chat .bubble.patient")).to_have_count(2)
    answer = "Oi Ana, aqui é a recepção. A senha do wifi está na recepção!"
    await console.fill("textarea[name=text]", answer)
    await console.click("button[name=send]")
    await expect(console.locator(".notice")).to_have_text("Resposta enviada ao paciente.")
    await expect(console.locator(".chat .bubble.staff", has_text=answer)).to_be_visible()
    await console.screenshot(path=artifact("console-handoff.png"), full_page=True)

    await expect(page.locator(".bubble.staff", has_text=answer)).to_be_visible(timeout=WAIT_MS)
    await page.screenshot(path=artifact("simulator-handoff.png"), full_page=True)

    await console.click("text=Encerrar conversa")
    await expect(console.locator(".notice")).to_have_text("Conversa encerrada.")
    await expect(console.locator(".queue a", has_text="Ana Beatriz Lima")).to_have_count(0)
    await expect(page.locator("#state-name")).to_have_text("handoff", timeout=WAIT_MS)
    await expect(page.locator("#status-text")).to_have_text("Conversa encerrada", timeout=WAIT_MS)

    audit = [doc async for doc in live.app[DB]["audit_log"].find({}, {"_id": 0}).sort("at", 1)]
    assert [doc["action"] for doc in audit] == [
        "login",  # the simulator's page (staff only since issue 17)
        "login",  # the console's
        "handoff.reply",
        "handoff.close",
    ]
    assert all(answer not in str(doc) for doc in audit)  # ids only, never message text
