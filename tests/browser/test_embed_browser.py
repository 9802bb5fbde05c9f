"""The programme framed on a centre's own website, in Chromium: another site frames it (and
cannot frame our other pages), nothing breaks the CSP, German and Arabic on a phone and a
desktop; the schema.org JSON-LD on the centre page causes no CSP report."""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.helpers import (
    PHONE,
    assert_no_csp_violations,
    check_a11y,
    expect,
    screenshot,
    visit,
)
from tests.factories import make_activity, make_centre, make_slot
from volunteer_app.activities.models import ActivityText
from volunteer_app.centres.queries import today
from volunteer_app.common.time import berlin_to_utc

SLUG = "pusteblume"


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return berlin_to_utc(dt.datetime.combine(day, dt.time(hour, minute)))


def _seed():
    centre = make_centre(
        name="ThEKiZ Pusteblume",
        slug=SLUG,
        street="Lindenweg 5",
        postcode="07743",
        town="Jena",
    )
    start = today() + dt.timedelta(days=1)
    reading = make_activity(
        centre,
        category_key="reading",
        title="Vorlesestunde",
        place="Leseecke im Erdgeschoss",
        description="Bilderbücher, vorgelesen.",
    )
    ActivityText.create(activity=reading, language="ar", title="ساعة القراءة")
    baking = make_activity(centre, category_key="baking", title="Backen mit Kindern", place="Küche")
    cafe = make_activity(
        centre, category_key="cooking", title="Elterncafé für Familien aus aller Welt", place=""
    )
    for n in range(4):
        day = start + dt.timedelta(days=2 * n)
        make_slot(reading, starts_at=_at(day, 15, 30), hours=1)
        status = "cancelled" if n == 1 else "scheduled"
        make_slot(baking, starts_at=_at(day, 10), hours=2, status=status)
    make_slot(cafe, starts_at=_at(start + dt.timedelta(days=1), 9), hours=2)
    return centre


@pytest.fixture
def seeded(live_server):
    live_server.run(_seed)
    return live_server


@pytest.fixture
def kita():
    """Another site (the Kita's): a small server on another port of the loopback address, so
    another origin. (A page answered by the test itself would count as from the internet, and
    Chromium does not let such a page frame the loopback address: Local Network Access.)"""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def frame_page(src: str) -> str:
        """The address of a page of the Kita's website framing ``src``."""
        pages["/programm"] = _host_html(src).encode()
        return f"http://127.0.0.1:{server.server_port}/programm"

    yield frame_page
    server.shutdown()
    server.server_close()


def _host_html(src: str) -> str:
    return f"""<!doctype html><html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kita Pusteblume</title>
<style>body{{font-family:Georgia,serif;margin:0;background:#fdf8ee}}
header{{background:#7a3e9d;color:#fff;padding:1rem 1.5rem}} main{{padding:1rem 1.5rem;max-width:60rem}}</style>
</head><body><header><strong>Kita &amp; Familienzentrum Pusteblume</strong></header>
<main><h1>Unser Programm</h1><p>Was bei uns im Familienzentrum los ist:</p>
<iframe src="{src}" title="Programm" width="100%" height="640" loading="lazy"
 style="border: 0; max-width: 42rem;"></iframe>
<p>Impressum · Datenschutz</p></main></body></html>"""


def _refusals(errors: list[str]) -> list[str]:
    """Console errors about the CSP or frames (the Kita's server has no favicon: not ours)."""
    words = ("Refused", "Content Security Policy", "frame", "X-Frame-Options")
    return [e for e in errors if any(w in e for w in words)]


def _open_host(page, kita, src: str) -> list[str]:
    """Open the Kita's page framing ``src``; returns the browser console's errors."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(kita(src), wait_until="load")
    return errors


@pytest.mark.parametrize(
    ("lang", "size"), [("de", "phone"), ("de", "desktop"), ("ar", "phone"), ("ar", "desktop")]
)
def test_another_site_frames_the_programme(seeded, kita, new_page, lang, size):
    if size == "phone":
        page = new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    else:
        page = new_page(viewport={"width": 1280, "height": 900})
    src = seeded.url_for("programme.embed", slug=SLUG, lang=lang)
    errors = _open_host(page, kita, src)
    frame = page.frame_locator("iframe")
    expect(frame.locator(".thekiz-date").first).to_be_visible()
    expect(frame.locator(".thekiz-cancelled")).to_have_count(1)
    expect(frame.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    if lang == "ar":
        expect(frame.locator(".thekiz-title a", has_text="ساعة القراءة")).to_have_count(4)
    link = frame.locator(".thekiz-title a").first
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener")
    embedded = next(f for f in page.frames if f.url.startswith(seeded.url))
    assert embedded.evaluate("window.__cspViolations || []") == []
    assert embedded.evaluate("document.scrollingElement.scrollWidth") <= embedded.evaluate(
        "window.innerWidth"
    ), "the frame scrolls sideways"
    assert not _refusals(errors), errors
    screenshot(page, f"embed/kita-{lang}-{size}")


def test_the_framed_page_alone_is_accessible(seeded, new_page):
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    for lang in ("de", "ar"):
        visit(page, seeded.url_for("programme.embed", slug=SLUG, lang=lang))
        screenshot(page, f"embed/alone-{lang}-phone")


def test_our_other_pages_refuse_to_be_framed(seeded, kita, page):
    errors = _open_host(page, kita, seeded.url_for("centres.show_centre", slug=SLUG))
    framed = [f for f in page.frames if f is not page.main_frame]
    assert framed, "no frame"
    # Chromium shows its own error page instead of ours and says why.
    assert "ThEKiZ Pusteblume" not in framed[0].evaluate(
        "document.body ? document.body.innerText : ''"
    )
    assert any("frame-ancestors 'none'" in e for e in _refusals(errors)), errors


def test_json_ld_breaks_no_content_security_policy(seeded, page):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    visit(page, f"/zentren/{SLUG}")
    blocks = page.locator('script[type="application/ld+json"]')
    expect(blocks).to_have_count(1)
    events = page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    assert (
        events[0]["@type"] == "Event" and events[0]["location"]["address"]["postalCode"] == "07743"
    )
    assert_no_csp_violations(page)
    assert not errors, errors
    check_a11y(page)
