"""Text of any length wraps inside its box: a 300-character word in every field people or
staff write (wishes, activities, partners, centres, rooms, names, notes, the audit log…)
keeps every page no wider than a phone (390 px) — nothing scrolls sideways and no button
hides off screen. (Once a 120-character wish made the public wish page 11,724 px wide.)

Each page is opened as the role that sees it, in German, at 390×844; the document may not
be wider than the viewport (``assert_fits_viewport``). Screenshots of each page go to
``$SHOTS_DIR/long-text/``.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    assert_fits_viewport,
    open_sized,
    screenshot,
    visit,
)
from tests.factories import make_category, make_user
from tests.factories_centres import make_closing_day
from tests.factories_erasure import rich_world
from tests.factories_hub import make_booking, make_partner, make_room
from tests.factories_wishes import make_wish
from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity
from volunteer_app.audit import services as audit
from volunteer_app.centres.models import Centre, Operator
from volunteer_app.centres.queries import today
from volunteer_app.db import utcnow

pytestmark = pytest.mark.browser

# One word, no spaces, 300 characters (German compounds come close on their own).
LONG = ("Kinderwagenabstellplatzüberdachungsgenehmigungsverfahren" * 6)[:300]
assert len(LONG) == 300 and " " not in LONG


def _seed():
    w = rich_world(name=f"Zora{LONG}")
    centre, coordinator = w.centre, w.coordinator
    Operator.update(name=f"Träger{LONG}").where(Operator.id == w.operator.id).execute()
    Centre.update(
        name=f"Zentrum{LONG}", description=LONG, street=LONG, town=LONG,
        contact_email=f"{LONG[:60]}@example.org",
    ).where(Centre.id == centre.id).execute()  # fmt: skip
    User.update(name=f"Clara{LONG}").where(User.id == coordinator.id).execute()
    category = make_category(centre, name=LONG)
    Activity.update(title=LONG, description=LONG, place=LONG, audience=LONG).where(
        Activity.centre == centre.id
    ).execute()
    Activity.update(category=category).where(Activity.id == w.garden.id).execute()
    partner = make_partner(
        centre, name=LONG, offer=LONG, contact_name=LONG, contact_email=f"{LONG[:60]}@example.org",
        website=f"https://{LONG[:60]}.example/{LONG}", internal_notes=LONG, internal_contact=LONG,
    )  # fmt: skip
    room = make_room(centre, name=LONG, equipment=LONG)
    booking = make_booking(
        room, today() + dt.timedelta(days=2), title=LONG, note=LONG, partner=partner,
        is_public=True,
    )  # fmt: skip
    make_wish(centre, LONG, description=LONG, answer=LONG, status="planned", supports=3)
    make_wish(centre, f"Umgesetzt{LONG}", description=LONG, status="realised",
              activity=w.reading, realised_at=utcnow(), answer=LONG)  # fmt: skip
    pending = make_wish(centre, f"Neu{LONG}", description=LONG, approved_at=None, supports=1)
    make_closing_day(centre, reason=LONG)
    audit.record(centre.id, coordinator, "check.measles", subject=w.person, detail=LONG)
    admin = make_user(role="admin", name=f"Ada{LONG}")
    return SimpleNamespace(
        w=w, centre=centre, room=room, booking=booking, partner=partner, pending=pending,
        admin=admin, person=w.person, coordinator=User.get_by_id(coordinator.id),
    )  # fmt: skip


def _pages(s) -> dict[str, list[str]]:
    slug, w = s.centre.slug, s.w
    reading, slot = w.reading.id, w.full.id
    return {
        "anonymous": [
            "/", "/zentren/", f"/zentren/{slug}", f"/zentren/{slug}/programm/{reading}",
            f"/zentren/{slug}/wuensche", "/partner/", f"/zentren/{slug}/kalender",
            f"/zentren/{slug}/aushang",
        ],
        "volunteer": [
            "/termine/", f"/termine/{slot}", "/meine-termine", "/mein-engagement/stunden",
            "/mein-engagement/passt-zu-ihnen", "/konto/", "/konto/einwilligungen",
            "/mein-engagement/profil",
        ],
        "coordinator": [
            "/meine-zentren", f"/zentren/{slug}/planung", f"/termine/{slot}/besetzung",
            f"/termine/{slot}/besetzung/drucken", f"/zentren/{slug}/ehrenamtliche",
            f"/zentren/{slug}/ehrenamtliche/{s.person.id}", f"/zentren/{slug}/protokoll",
            f"/zentren/{slug}/angebote/", f"/zentren/{slug}/angebote/{reading}",
            f"/zentren/{slug}/angebote/{reading}/bearbeiten", f"/zentren/{slug}/kategorien",
            f"/zentren/{slug}/partner/", f"/zentren/{slug}/partner/{s.partner.id}/bearbeiten",
            f"/zentren/{slug}/raeume/", f"/zentren/{slug}/raeume/woche",
            f"/zentren/{slug}/raeume/{s.room.id}/woche",
            f"/zentren/{slug}/buchungen/{s.booking.id}",
            f"/zentren/{slug}/wuensche/verwaltung", f"/zentren/{slug}/wuensche/{s.pending.id}",
            f"/zentren/{slug}/wuensche/{s.pending.id}/ablehnen",
            f"/zentren/{slug}/wuensche/{s.pending.id}/angebot",
            f"/zentren/{slug}/bearbeiten", f"/zentren/{slug}/bericht",
            f"/zentren/{slug}/nachweise", f"/zentren/{slug}/vorschlaege",
            f"/termine/{slot}/warum-leer", f"/termine/{slot}/bearbeiten",
        ],
        "admin": [
            "/verwaltung/", f"/verwaltung/zentren/{slug}",
            f"/verwaltung/traeger/{s.w.operator.id}", f"/traeger/{s.w.operator.id}/bericht",
        ],
    }  # fmt: skip


# At phone width, where a long word did the damage (desktop pages are checked for fitting by
# the other browser tests; this one costs ~14 s per size).
@pytest.mark.parametrize("size", ["phone"])
def test_long_words_wrap_on_every_page(live_server, new_page, size):
    """At 390 px (the reported case): the document is never wider than the window,
    ``document.documentElement.scrollWidth <= width``."""
    s = live_server.run(_seed)
    users = {"volunteer": s.person, "coordinator": s.coordinator, "admin": s.admin}
    too_wide = []
    for role, urls in _pages(s).items():
        page = open_sized(new_page, size)
        if role in users:
            live_server.log_in(page, users[role])
        for url in urls:
            visit(page, url, a11y=False)
            assert page.viewport_size["width"] == (390 if size == "phone" else 1280)
            try:
                assert_fits_viewport(page)
            except AssertionError as exc:
                too_wide.append(f"{role} {url}: {str(exc).splitlines()[0]}")
            name = url.strip("/").replace("/", "_") or "start"
            screenshot(page, f"long-text/{size}/{role}-{name}", full_page=False)
    assert not too_wide, f"pages wider than the window ({size}):\n" + "\n".join(too_wide)


def test_the_support_button_of_a_long_wish_stays_on_screen(live_server, new_page):
    """The reported case: the public wish page with a long word, and its support button."""
    s = live_server.run(_seed)
    page = open_sized(new_page, "phone")
    visit(page, f"/zentren/{s.centre.slug}/wuensche", a11y=False)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    card = page.locator("li.wish", has_text=LONG).first
    button = card.get_by_role("button", name="Unterstützen")
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    screenshot(card, "long-text/wish-card")
    button.click()
    expect(page.get_by_text("Danke für Ihre Unterstützung!")).to_be_visible()
