"""A coordinator opens the written plan (Helferplan) from the desk, goes to next week, and
prints it: on a phone the plan stacks without scrolling sideways; on paper it is A4
landscape, black on white, with nothing cut off at the right edge. A week with an
assignment, an own sign-up, a task at home, a cancelled date and a closing day, in Chromium,
in German, checked with axe; screenshots and the PDF go to ``$SHOTS_DIR/helferplan/``.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import (
    SHOTS_DIR,
    TAKE_SHOTS,
    check_page,
    expect,
    open_sized,
    screenshot,
    visit,
)
from tests.factories_helferplan import Week

pytestmark = [pytest.mark.browser, pytest.mark.dates]

A4_LANDSCAPE_PT = (841.89, 595.28)  # 297 × 210 mm in PostScript points
MM = 96 / 25.4  # CSS pixels per millimetre


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_coordinator_prints_next_weeks_helferplan(new_page, live_server, size):
    week = live_server.run(Week)
    page = open_sized(new_page, size)
    live_server.log_in(page, week.clara)

    visit(page, f"/zentren/{week.centre.slug}/planung")
    page.get_by_role("link", name="Helferplan zum Ausdrucken").click()
    check_page(page)
    expect(page.locator("h1")).to_contain_text("Helferplan")
    page.get_by_role("link", name="Nächste Woche").click()
    check_page(page, "plan", folder="helferplan")

    plan = page.locator("article.helferplan")
    reading = plan.locator(".slot-row", has_text="Vorlesestunde")
    expect(reading).to_contain_text("Vera Vogel")
    expect(reading).to_contain_text("zugewiesen von Clara Auerbach")
    expect(reading).to_contain_text("Otto Ohnesorg")
    expect(reading).to_contain_text("1 Platz noch frei")
    baking = plan.locator(".slot-row", has_text="Kuchen backen")
    expect(baking).to_contain_text("Zu Hause")
    expect(baking).to_contain_text("bestätigt von Clara Auerbach")
    expect(plan.locator(".slot-row.is-cancelled")).to_contain_text("Abgesagt")
    expect(plan.locator(".slot-row.is-cancelled")).to_contain_text("Regen")
    expect(plan).to_contain_text("Schließtag: Teamtag")
    expect(plan).to_contain_text("schriftliche Auftrag")
    expect(plan.locator(".signature-line")).to_have_count(2)
    expect(plan).not_to_contain_text("Petra Wartend")  # waits for approval: not commissioned

    if size == "phone":
        return  # check_page has made sure nothing scrolls sideways
    # Paper: the print stylesheet at the printable width of A4 landscape (297 mm less the
    # margins) fits without sideways overflow, shows no navigation, and prints black on white.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": round((297 - 24) * MM), "height": round((210 - 26) * MM)})
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the printed plan is {overflow}px too wide for A4 landscape"
    for hidden in (".site-header", ".desk-nav", ".plan-week-nav", "button[data-print]"):
        expect(page.locator(hidden).first).to_be_hidden()
    colours = page.evaluate(
        """() => [...document.querySelectorAll('.helferplan, .helferplan *')]
                 .map(e => getComputedStyle(e).color)"""
    )
    assert set(colours) == {"rgb(0, 0, 0)"}, set(colours)
    screenshot(page, "helferplan/print-media")
    pdf = page.pdf(prefer_css_page_size=True, print_background=False)
    if TAKE_SHOTS:
        (SHOTS_DIR / "helferplan" / "helferplan.pdf").write_bytes(pdf)
    boxes = {
        tuple(round(float(n), 2) for n in box.split()[2:])
        for box in re.findall(rb"/MediaBox \[([0-9. ]+)\]", pdf.replace(b"\n", b" "))
        for box in [box.decode()]
    }
    assert len(boxes) == 1, boxes
    (width, height) = boxes.pop()  # Chromium rounds to whole pixels: within a point
    assert abs(width - A4_LANDSCAPE_PT[0]) < 1 and abs(height - A4_LANDSCAPE_PT[1]) < 1
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 1  # a small week: one sheet
