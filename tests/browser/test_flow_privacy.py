"""A volunteer on a phone downloads their data and deletes their account, in German; every
page is checked with axe, fits the screen and has one h1.

The deletion waits for the grace period: the mail's "keep" link page is checked, then the job
erases the account when the period is over, and the link says it no longer works.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

import pytest

from tests.browser.helpers import check_page, expect, nav, visit
from tests.factories import PASSWORD, make_activity, make_centre, make_coordinator, make_user
from tests.factories_authz import give_totp
from tests.factories_erasure import future_slot, traces_of
from volunteer_app.accounts.models import User
from volunteer_app.erasure import services
from volunteer_app.erasure.models import DeletionRequest
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups import services as signups

pytestmark = pytest.mark.browser

NAME = "Paula Pflaumenbaum"
EMAIL = "paula.pflaumenbaum@example.org"


def _person():
    centre = make_centre(name="Zentrum Lindenhof")
    user = make_user(name=NAME, email=EMAIL)
    slot = future_slot(make_activity(centre, title="Lesepatenschaft"), 9)
    signups.sign_up(slot.id, actor=user)
    return User.get_by_id(user.id)


def _keep_link(base_url: str) -> str:
    [mail] = OutboxMessage.select().where(
        (OutboxMessage.recipient == EMAIL) & OutboxMessage.subject.contains("gelöscht")
    )
    [link] = re.findall(re.escape(base_url) + r"/konto/behalten/[A-Za-z0-9_\-]+", mail.body_text)
    return link


def test_a_volunteer_downloads_the_data_and_deletes_the_account(phone_page, live_server):
    pg = phone_page
    user = live_server.run(_person)
    live_server.log_in(pg, user)

    visit(pg, "/konto/")
    check_page(pg, "privacy-account")

    # The data first: a ZIP with the machine-readable file in it.
    with pg.expect_download() as download:
        pg.get_by_role("link", name="Meine Daten herunterladen").click()
    data = download.value.path().read_bytes()
    assert zipfile.is_zipfile(io.BytesIO(data))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "data.json" in archive.namelist()
        assert EMAIL in json.dumps(json.loads(archive.read("data.json")), ensure_ascii=False)

    # The explanation before anything happens.
    pg.get_by_role("link", name="Konto löschen").click()
    expect(pg).to_have_url(re.compile(r"/konto/loeschen$"))
    expect(pg.get_by_role("heading", level=1)).to_have_text("Mein Konto löschen")
    expect(pg.get_by_text("in 14 Tagen gelöscht")).to_be_visible()
    expect(pg.get_by_text("Lesepatenschaft")).to_be_visible()
    check_page(pg, "privacy-delete")

    # A wrong password: told in German, nothing scheduled.
    pg.get_by_label("Passwort", exact=True).fill("nicht mein Passwort")
    pg.get_by_role("button", name="Mein Konto löschen").click()
    expect(pg.locator("#password-error")).to_have_text("Das Passwort stimmt nicht.")
    check_page(pg, "privacy-delete-error")
    assert live_server.run(DeletionRequest.select().count) == 0

    pg.get_by_label("Passwort", exact=True).fill(PASSWORD)
    pg.get_by_role("button", name="Mein Konto löschen").click()
    expect(pg.get_by_text(re.compile(r"Ihr Konto wird am .* gelöscht"))).to_be_visible()
    expect(nav(pg).get_by_role("link", name="Anmelden")).to_be_visible()  # logged out
    check_page(pg, "privacy-scheduled")
    request = live_server.run(DeletionRequest.get)

    # The link in the mail: a page with one button, checked but not pressed.
    link = live_server.run(_keep_link, live_server.url)
    visit(pg, link)
    expect(pg.get_by_role("button", name="Mein Konto behalten")).to_be_visible()
    check_page(pg, "privacy-keep")

    # The grace period is over: the job erases the account, nothing of her is left.
    assert live_server.run(services.erase_due, request.due_at + dt.timedelta(minutes=1)) == 1
    assert live_server.run(traces_of, NAME, EMAIL) == []
    visit(pg, link, status=400)
    expect(pg.get_by_role("heading", level=1)).to_have_text("Dieser Link funktioniert nicht")
    check_page(pg, "privacy-link-gone")


def test_the_last_coordinator_is_told_how_to_hand_over(phone_page, live_server):
    def coordinator():
        return give_totp(make_coordinator(make_centre(name="Zentrum Lindenhof")))

    pg = phone_page
    live_server.log_in(pg, live_server.run(coordinator))
    visit(pg, "/konto/loeschen")
    expect(pg.get_by_role("alert")).to_contain_text(
        "Außer Ihnen koordiniert niemand Zentrum Lindenhof"
    )
    expect(pg.get_by_role("alert")).to_contain_text("„Koordinator:in einladen“")
    expect(pg.get_by_label("Passwort", exact=True)).to_have_count(0)
    check_page(pg, "privacy-delete-blocked")
