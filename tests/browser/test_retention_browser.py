"""Deleting check records in real Chromium: the person on a phone, the coordinator on the
checks page; each asks first (a dismissed question deletes nothing). Accessible, fits.

Screenshots go to ``$SHOTS_DIR/retention/`` (default /tmp/shots/retention/).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.helpers import (
    assert_fits_viewport,
    check_a11y,
    expect,
    screenshot,
    visit,
)
from tests.factories import make_centre, make_check, make_coordinator, make_signup, make_user
from tests.factories_coordination import make_activity, make_slot
from volunteer_app.centres.queries import today
from volunteer_app.checks.models import CertificateCheck, MeaslesProof

pytestmark = pytest.mark.browser
MINE = "/konto/pruefvermerke"


def _seed():
    ahorn = make_centre(name="ThEKiZ Ahornweg mit einem recht langen Namen", slug="ahornweg")
    birke = make_centre(name="ThEKiZ Birkenhain", slug="birkenhain")
    coordinator = make_coordinator(ahorn, name="Clara Auerbach")
    vera = make_user(name="Vera Vogel", email="vera@example.org")
    make_check(vera, ahorn, inspected_days_ago=20)
    MeaslesProof.create(
        volunteer=vera, centre=ahorn, shown_on=today() - dt.timedelta(days=20), proof_ok=True
    )
    MeaslesProof.create(volunteer=vera, centre=birke, shown_on=today(), proof_ok=True)
    # Booked at Ahornweg: the person cannot delete those records there yet.
    make_signup(make_slot(make_activity(ahorn), 5), vera)
    return ahorn, coordinator, vera


def _shot(page, name: str):
    return screenshot(page, f"retention/{name}")


def _count(model) -> int:
    return model.select().count()


def test_person_deletes_a_record_on_a_phone(phone_page, live_server):
    page = phone_page
    _ahorn, _coordinator, vera = live_server.run(_seed)
    live_server.log_in(page, vera)

    visit(page, "/konto/")
    page.get_by_role("link", name="Meine Vermerke").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Führungszeugnis und Masernschutz")
    check_a11y(page)
    assert_fits_viewport(page)
    expect(page.get_by_text("Sie haben hier noch Termine.").first).to_be_visible()
    expect(page.get_by_text("spätestens am").first).to_be_visible()
    _shot(page, "1-mine-phone")

    button = page.get_by_role("button", name="Diesen Vermerk jetzt löschen")
    expect(button).to_have_count(1)  # only at Birkenhain: booked at Ahornweg
    page.once("dialog", lambda dialog: dialog.dismiss())
    button.click()
    assert live_server.run(_count, MeaslesProof) == 2  # asked, declined: nothing deleted

    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    expect(page.locator(".flash-success")).to_have_text(
        "Der Vermerk zum Masernschutz wurde gelöscht."
    )
    assert live_server.run(_count, MeaslesProof) == 1
    expect(page.get_by_role("heading", name="ThEKiZ Birkenhain")).to_have_count(0)
    check_a11y(page)
    assert_fits_viewport(page)
    _shot(page, "2-deleted-phone")


def test_coordinator_deletes_a_certificate_record(page, live_server):
    ahorn, coordinator, vera = live_server.run(_seed)
    live_server.log_in(page, coordinator)

    visit(page, f"/zentren/{ahorn.slug}/ehrenamtliche/{vera.id}")
    certificate = page.locator("#certificate")
    page.once("dialog", lambda dialog: dialog.accept())
    certificate.get_by_role("button", name="Vermerk löschen").click()
    expect(page.locator(".flash-success")).to_have_text(
        "Der Vermerk zum Führungszeugnis wurde gelöscht."
    )
    expect(certificate.get_by_role("button", name="Vermerk löschen")).to_have_count(0)
    assert live_server.run(_count, CertificateCheck) == 0
    check_a11y(page)
    _shot(page, "3-coordinator-desktop")
