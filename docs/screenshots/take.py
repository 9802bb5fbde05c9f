"""Take the README's screenshots (all of docs/screenshots) from the demo data, in German, with headless Chromium.

Run from the repository root with the development server up (``make run``):
``.venv/bin/python docs/screenshots/take.py [--base http://127.0.0.1:5000]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
PASSWORD = "Ehrenamt-Demo-2026"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _login(page, base: str, email: str) -> None:
    page.goto(f"{base}/konto/anmelden")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


def _shot(page, base: str, path: str, name: str, *, full_page: bool = True) -> None:
    page.goto(f"{base}{path}")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(HERE / f"{name}.png"), full_page=full_page)
    print(f"{name}.png  <- {path}")


def _phone(browser):
    return browser.new_page(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, locale="de-DE"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as p:
        # Date fields show headless Chromium's own format (mm/dd/yyyy) whatever the page's
        # language; a German browser shows tt.mm.jjjj.
        browser = p.chromium.launch(executable_path=chromium)
        family = browser.new_page(viewport=DESKTOP, locale="de-DE")
        _shot(family, base, "/", "start-desktop", full_page=False)
        _shot(family, base, "/zentren/regenbogenhaus-erfurt", "programme-desktop", full_page=False)
        phone = _phone(browser)
        _shot(phone, base, "/", "start-phone", full_page=False)
        _shot(phone, base, "/zentren/regenbogenhaus-erfurt/kalender", "subscribe-phone")

        volunteer = _phone(browser)
        _login(volunteer, base, "ehrenamt01@demo.thekiz.example")
        _shot(volunteer, base, "/termine/", "slots-phone", full_page=False)
        volunteer_desk = browser.new_page(viewport=DESKTOP, locale="de-DE")
        _login(volunteer_desk, base, "ehrenamt01@demo.thekiz.example")
        _shot(volunteer_desk, base, "/meine-termine", "my-slots-desktop", full_page=False)

        staff = browser.new_page(viewport=DESKTOP, locale="de-DE")
        _login(staff, base, "koordination.erfurt@demo.thekiz.example")
        _shot(
            staff,
            base,
            "/zentren/regenbogenhaus-erfurt/planung",
            "dashboard-desktop",
            full_page=False,
        )
        staff_phone = _phone(browser)
        _login(staff_phone, base, "koordination.erfurt@demo.thekiz.example")
        _shot(
            staff_phone,
            base,
            "/zentren/regenbogenhaus-erfurt/planung",
            "dashboard-phone",
            full_page=False,
        )
        staff.goto(f"{base}/zentren/regenbogenhaus-erfurt/vorschlaege")
        staff.locator("form button[type=submit]").last.click()
        staff.wait_for_load_state("networkidle")
        for _ in range(30):  # the run is solved by the job consumer
            if "meta http-equiv" not in staff.content().lower() or "refresh" not in staff.content():
                break
            staff.wait_for_timeout(1000)
            staff.reload()
        staff.screenshot(path=str(HERE / "proposals-desktop.png"), full_page=False)
        print("proposals-desktop.png  <- " + staff.url)
        monday = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())
        week = f"/zentren/regenbogenhaus-erfurt/raeume/woche?woche={monday.isoformat()}"
        _shot(staff, base, week, "rooms-week-desktop", full_page=False)
        browser.close()


if __name__ == "__main__":
    main()
