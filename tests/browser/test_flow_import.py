"""Bringing a list in the browser: a coordinator uploads an Excel-made CSV of volunteers,
checks the guessed columns, reads every problem in the preview, confirms; an imported person
opens the mailed link (in Ukrainian, the language chosen for the mail) and creates her own
account. German staff pages, desktop and phone; every page is checked with axe, for CSP
violations and for sideways scrolling. Screenshots go to ``$SHOTS_DIR/import/``.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import FLOW_SIZES, check_page, expect, open_sized, visit
from tests.factories import make_centre, make_coordinator, make_user
from volunteer_app.accounts.models import User
from volunteer_app.imports.models import ImportInvitation
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.volunteers.models import ReachableCentre

pytestmark = pytest.mark.browser

LIST = (
    "Vorname;Nachname;E-Mail-Adresse;Telefon\r\n"
    "Olena;Koval;olena@example.org;0361 1\r\n"
    "Ben;Brandt;;0361 2\r\n"
    '=HYPERLINK("http://x");Formel;formel@example.org;\r\n'
    "Olena;Nochmal;OLENA@example.org;\r\n"
    "Erik;Schon-da;erik@example.org;\r\n"
).encode("cp1252")


def _seed() -> dict:
    centre = make_centre(name="ThEKiZ Löwenzahn", slug="loewenzahn", town="Suhl")
    make_user(email="erik@example.org", name="Erik")
    return {"coordinator": make_coordinator(centre, name="Clara Koordinatorin")}


@pytest.fixture(params=FLOW_SIZES)
def size(request) -> str:
    return request.param


def check(pg, shot: str | None = None) -> None:
    check_page(pg, shot, folder="import", always_fit=True)


def test_import_a_list_and_accept_the_invitation(new_page, live_server, size):
    seeded = live_server.run(_seed)
    desk = open_sized(new_page, size)
    live_server.log_in(desk, seeded["coordinator"])
    visit(desk, "/zentren/loewenzahn/import")
    check(desk, "upload")
    desk.get_by_label("Ehrenamtliche (Name und E-Mail-Adresse)").check()
    desk.get_by_label("CSV- oder Excel-Datei (.csv, .xlsx)").set_input_files(
        {"name": "helferliste.csv", "mimeType": "text/csv", "buffer": LIST}
    )
    desk.get_by_label("Sprache der Einladungs-E-Mails").select_option("uk")
    desk.get_by_role("button", name="Hochladen und Spalten zuordnen").click()

    expect(desk.get_by_role("heading", level=1)).to_have_text("Welche Spalte enthält was?")
    expect(desk.get_by_label(re.compile("Spalte 3"))).to_have_value("email")
    expect(desk.get_by_label(re.compile("Spalte 4"))).to_have_value("")
    check(desk, "mapping")
    desk.get_by_role("button", name="Alle Zeilen prüfen").click()

    expect(desk.get_by_role("heading", level=1)).to_have_text("Import prüfen")
    expect(desk.locator(".import-summary")).to_contain_text("2 Zeilen können übernommen werden.")
    rows = desk.locator("ol.import-rows").first
    expect(rows).to_contain_text("Zeile 3")
    expect(rows).to_contain_text("Die E-Mail-Adresse fehlt.")
    expect(rows).to_contain_text("sah aus wie eine Tabellenformel")
    expect(rows).to_contain_text("Dieselbe Adresse wie in Zeile 2.")
    expect(rows).to_contain_text("schon ein Konto")
    check(desk, "preview")
    assert live_server.run(lambda: ImportInvitation.select().count()) == 0
    desk.get_by_role("button", name="2 Personen einladen").click()

    expect(desk.locator(".flash").first).to_contain_text("2 Personen per E-Mail eingeladen.")
    expect(desk.locator("#invitations")).to_contain_text("olena@example.org")
    check(desk, "invited")

    def link() -> str:
        mail = OutboxMessage.get(OutboxMessage.recipient == "olena@example.org")
        return re.search(r"https?://\S+/einladung/mitmachen/\S+", mail.body_text).group(0)

    olena = open_sized(new_page, size)  # her own browser, not logged in
    visit(olena, live_server.run(link))
    expect(olena.locator("html")).to_have_attribute("lang", "uk")
    expect(olena.get_by_role("heading", level=1)).to_contain_text("ThEKiZ Löwenzahn")
    check(olena, "accept")
    olena.locator("#password").fill("Sonnenblumen im Garten")
    olena.locator("#consent").check()
    olena.get_by_role("button", name="Створити обліковий запис і прийняти").click()
    expect(olena).to_have_url(re.compile(r"/mein-engagement/profil"))
    check(olena, "accepted")

    def state():
        user = User.get(User.email == "olena@example.org")
        return (
            user.name,
            ReachableCentre.select().where(ReachableCentre.user == user.id).count(),
            ImportInvitation.select().where(ImportInvitation.email == user.email).count(),
        )

    assert live_server.run(state) == ("Olena Koval", 1, 0)
