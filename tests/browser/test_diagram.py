"""Issue 16, a diagram people read: the simulator's flow picture measured in Chromium.

Measured from the SVG Mermaid draws: every label's font size as rendered (its
computed size times the SVG's scale on screen), the boxes of every label
against each other, the highlighted node, and that what a person reads is
Portuguese (no ``awaiting_reply``-style ids). Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import Live, artifact, log_in
from tests.browser.test_simulator_console import WAIT_MS

DEFAULT = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
MIN_FONT_PX = 11.0

# Every label of the drawn diagram: text, rendered font size, box on screen.
MEASURE = """
(root) => {
  const svg = root.querySelector("svg");
  const labels = [...svg.querySelectorAll("g.node text, g.edgeLabel text, .edgeLabel text")]
    .filter((t) => t.textContent.trim() && !t.closest("title"));
  const unique = [...new Set(labels)];
  return unique.map((t) => {
    const m = t.getScreenCTM();
    const scale = m ? Math.hypot(m.a, m.b) : 1;
    const r = t.getBoundingClientRect();
    return {
      text: t.textContent.trim(),
      px: parseFloat(getComputedStyle(t).fontSize) * scale,
      box: [r.left, r.top, r.right, r.bottom],
      edge: !!t.closest(".edgeLabel"),
    };
  });
}
"""
CURRENT = """
(root) => [...root.querySelectorAll("g.node")]
  .filter((g) => g.classList.contains("atual"))
  .map((g) => ({
    state: g.getAttribute("data-state"),
    fill: getComputedStyle(g.querySelector("rect, path, polygon")).fill,
    title: (g.querySelector("title") || {}).textContent || "",
  }))
"""
# Arrows drawn through a box that is neither their start nor their end: points every 4px
# along each arrow (its first and last 10px, at its own boxes' borders, left out).
CROSSINGS = """
(root) => {
  const svg = root.querySelector("svg");
  const boxes = [...svg.querySelectorAll("g.node")].map((g) => {
    const r = g.getBoundingClientRect();
    return { id: g.id, l: r.left + 2, t: r.top + 2, r: r.right - 2, b: r.bottom - 2 };
  });
  const found = new Set(), paths = svg.querySelectorAll("path.flowchart-link");
  for (const path of paths) {
    const m = path.getScreenCTM(), length = path.getTotalLength();
    for (let at = 10; at < length - 10; at += 4) {
      const p = path.getPointAtLength(at);
      const x = m.a * p.x + m.c * p.y + m.e, y = m.b * p.x + m.d * p.y + m.f;
      for (const box of boxes) {
        if (x > box.l && x < box.r && y > box.t && y < box.b) { found.add(path.id + " > " + box.id); }
      }
    }
  }
  return { paths: paths.length, through: [...found] };
}
"""
REFUSED: list[str] = []  # console errors: a script or style the CSP refused, a Mermaid error
ID_LIKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


async def _simulator_at(browser: Browser, live: Live, viewport: dict[str, int]) -> Page:
    page = await browser.new_page(viewport=viewport, is_mobile=viewport is PHONE)
    page.on("console", lambda m: m.type == "error" and REFUSED.append(m.text))
    page.on("pageerror", lambda e: REFUSED.append(str(e)))
    await log_in(page, live, "/simulator")
    await expect(page.locator("#appointment option[value='demo-1']")).to_have_count(1)
    await page.select_option("#appointment", "demo-1")
    return page


async def _labels(page: Page) -> list[dict[str, Any]]:
    diagram = page.locator("#diagram")
    await expect(diagram.locator("svg g.node").first).to_be_visible(timeout=WAIT_MS)
    labels: list[dict[str, Any]] = await diagram.evaluate(MEASURE)
    return labels


def _overlaps(labels: list[dict[str, Any]]) -> list[tuple[str, str]]:
    found = []
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            (al, at, ar, ab), (bl, bt, br, bb) = a["box"], b["box"]
            if min(ar, br) - max(al, bl) > 0.5 and min(ab, bb) - max(at, bt) > 0.5:
                found.append((a["text"], b["text"]))
    return found


def _assert_legible(labels: list[dict[str, Any]], where: str) -> None:
    assert len([label for label in labels if not label["edge"]]) >= 28, where  # 28 states
    small = [
        (label["text"], round(label["px"], 1)) for label in labels if label["px"] < MIN_FONT_PX
    ]
    assert not small, f"{where}: text smaller than {MIN_FONT_PX}px: {small[:5]}"
    overlapping = _overlaps(labels)
    assert not overlapping, f"{where}: labels overlap: {overlapping[:5]}"
    texts = " ".join(label["text"] for label in labels)
    assert not ID_LIKE.findall(texts), f"{where}: ids shown as text: {ID_LIKE.findall(texts)}"
    assert "not understood" not in texts
    for words in (
        "O lembrete foi enviado",
        "confirma",
        "desmarca",
        "não entendi",
        "sem resposta em 24h",
    ):
        assert words in texts, f"{where}: {words!r} not drawn"


# Two pages each load the 5.7 MB Mermaid build and lay out 30 boxes, on a shared box.
@pytest.mark.timeout(300)
async def test_the_flow_diagram_is_legible_at_the_page_size_and_on_a_phone(
    live: Live, browser: Browser
) -> None:
    page = await _simulator_at(browser, live, DEFAULT)
    await page.click("#remind")
    await expect(page.locator("#state-name")).to_have_text("awaiting_reply", timeout=WAIT_MS)
    await expect(page.locator("#diagram g.node.atual")).to_have_count(1, timeout=WAIT_MS)
    await page.locator("section.flow").screenshot(path=artifact("diagram-after.png"))
    _assert_legible(await _labels(page), "default size")
    crossings = await page.locator("#diagram").evaluate(CROSSINGS)
    assert crossings["paths"] >= 50, crossings  # the arrows were found and followed
    assert crossings["through"] == [], crossings
    current = await page.locator("#diagram").evaluate(CURRENT)
    assert current == [
        {"state": "awaiting_reply", "fill": "rgb(255, 224, 130)", "title": "estado: awaiting_reply"}
    ]

    # The whole picture, for people to judge (the page shows it in a scrolling box).
    whole = await browser.new_page(viewport={"width": 800, "height": 600})
    await whole.set_content(await page.locator("#diagram").inner_html())
    await whole.screenshot(path=artifact("diagram-after-full.png"), full_page=True)
    await whole.close()

    reminder = page.locator(".bubble.bot", has_text="Passando para lembrar")
    await reminder.get_by_role("button", name="Desmarcar").click()
    await expect(page.locator("#state-name")).to_have_text("confirm_cancel", timeout=WAIT_MS)
    await expect(page.locator("#diagram g.node.atual[data-state='confirm_cancel']")).to_have_count(
        1, timeout=WAIT_MS
    )
    assert len(await page.locator("#diagram").evaluate(CURRENT)) == 1

    phone = await _simulator_at(browser, live, PHONE)
    await expect(phone.locator("#diagram g.node.atual[data-state='confirm_cancel']")).to_have_count(
        1, timeout=WAIT_MS
    )
    await phone.locator("#diagram").scroll_into_view_if_needed()
    await phone.screenshot(path=artifact("diagram-after-phone.png"))
    _assert_legible(await _labels(phone), "phone")
    # The page itself does not scroll sideways: only the diagram's box does.
    widths = await phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1]
    assert not REFUSED, REFUSED
