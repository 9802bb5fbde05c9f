"""Bringing the lists a centre has: reading CSV and Excel, checking every row, writing all or
nothing on confirmation, the invitations of imported people (accepted, expired) and the CSV
export of activities and dates."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import Workbook

from tests.factories import make_activity, make_centre, make_coordinator, make_user
from tests.factories_accounts import use_fast_hashing
from tests.factories_centres import count_queries, english, switch_user
from volunteer_app.accounts.models import Consent, User
from volunteer_app.activities.models import Activity, Series, Slot
from volunteer_app.centres.models import ClosingDay
from volunteer_app.centres.queries import today
from volunteer_app.common.errors import DomainError
from volunteer_app.db import utcnow
from volunteer_app.imports import checks, files, invitations, services
from volunteer_app.imports.models import ImportInvitation
from volunteer_app.models import all_models
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.retention.services import run_retention
from volunteer_app.volunteers.models import ReachableCentre

pytestmark = pytest.mark.dates

IMPORT = "/zentren/loewenzahn/import"
PASSWORD = "lange sichere Passphrase 42"

# One broken row of every kind, a duplicate, a formula, an existing account, a good row.
LIST = (
    "Vorname;Nachname;E-Mail-Adresse;Telefon\r\n"
    "Anna;Aurich;anna@example.org;0361 1\r\n"
    "Ben;Brandt;;0361 2\r\n"
    "Clara;Conrad;keine-adresse;0361 3\r\n"
    ";;dora@example.org;\r\n"
    "Anna;Zweitmal;ANNA@example.org;\r\n"
    '=HYPERLINK("http://x");Formel;formel@example.org;\r\n'
    "Erik;Schon-da;erik@example.org;\r\n"
    f"{'L' * 120};Lang;lang@example.org;\r\n"
    "Jörg;Müller;joerg@example.org;\r\n"
)


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    use_fast_hashing(monkeypatch)


@pytest.fixture
def centre(conn):
    return make_centre(name="ThEKiZ Löwenzahn", slug="loewenzahn", town="Suhl")


@pytest.fixture
def coordinator(centre):
    return make_coordinator(centre, name="Clara Koordinatorin")


def _counts() -> dict[str, int]:
    return {m.__name__: m.select().count() for m in all_models()}


def _table(text: str):
    return files.read_table(text.encode("utf-8"), "liste.csv", max_rows=5000)


# --- Reading files ----------------------------------------------------------------------------


def _xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Titel", "Kategorie", "Ort", "Datum", "Beginn", "Ende", "Plätze"])
    sheet.append(["Basteln", "Vorlesen", "Saal", dt.datetime(2030, 5, 6), dt.time(10), "12:00", 3])
    sheet.append([None, None, None, None, None, None, None])  # empty rows are skipped
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ("\ufeffName;E-Mail\r\nJörg Müller;j@example.org\r\n".encode(), "a.csv"),
        (b"Name,E-Mail\nJ\xc3\xb6rg M\xc3\xbcller,j@example.org\n", "b.csv"),
        ("Name\tE-Mail\nJörg Müller\tj@example.org\n".encode("cp1252"), "c.txt"),
        ('"Name";"E-Mail"\n"Jörg Müller";"j@example.org"\n'.encode(), "d.csv"),
    ],
    ids=["utf8-bom-semicolon", "utf8-comma", "cp1252-tab", "quoted"],
)
def test_csv_in_every_dialect_and_encoding(app, data, name):
    table = files.read_table(data, name, max_rows=10)
    assert table.header == ["Name", "E-Mail"]
    assert table.rows == [["Jörg Müller", "j@example.org"]]


def test_excel_cells_become_text(app):
    table = files.read_table(_xlsx(), "angebote.xlsx", max_rows=10)
    assert table.header[:3] == ["Titel", "Kategorie", "Ort"]
    assert table.rows == [["Basteln", "Vorlesen", "Saal", "2030-05-06", "10:00", "12:00", "3"]]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"  \n", "a.csv", "empty"),
        (b"Name;E-Mail\n", "a.csv", "no rows below"),
        (b"\xd0\xcf\x11\xe0old", "a.xls", ".xls"),
        (b"PK\x03\x04broken", "a.xlsx", "cannot be read"),
        (b"Name\n" + b"x\n" * 11, "a.csv", "more than 10 rows"),
    ],
)
def test_unreadable_files_are_named(app, data, name, message):
    with english_context(app), pytest.raises(files.FileProblem) as caught:
        files.read_table(data, name, max_rows=10)
    assert message in caught.value.message


def english_context(app):
    return app.test_request_context(headers={"Accept-Language": "en"})


def test_columns_are_guessed_in_german_and_english():
    assert checks.guess_mapping("volunteers", ["Vorname", "Nachname", "E-Mail-Adresse", "Tel"]) == [
        "first_name",
        "last_name",
        "email",
        "",
    ]
    assert checks.guess_mapping(
        "activities", ["Title", "Category", "Place", "Date", "Start", "End", "Volunteers needed"]
    ) == ["title", "category", "place", "date", "start", "end", "capacity"]
    assert checks.guess_mapping("volunteers", ["Name", "Name", "Mail"]) == ["name", "", "email"]


# --- Checking rows ----------------------------------------------------------------------------


def test_every_problem_is_named_per_row(app, centre):
    make_user(email="erik@example.org")
    ImportInvitation.create(
        centre=centre, email="joerg@example.org", name="J", token_hash="3" * 64,
        expires_at=utcnow() + dt.timedelta(days=1),
    )  # fmt: skip
    upload = services.Upload(centre.id, "volunteers", _table(LIST))
    mapping = checks.guess_mapping("volunteers", upload.table.header)
    with english_context(app):
        checked = services.check_upload(centre, upload, mapping)
        by_row = {r.number: r for r in checked.rows}
        assert [r.number for r in checked.good] == [2, 7]
        assert by_row[2].values == {"name": "Anna Aurich", "email": "anna@example.org"}
        assert by_row[3].errors == ["The e-mail address is missing."]
        assert by_row[4].errors == ["“keine-adresse” is not a valid e-mail address."]
        assert by_row[5].errors == ["The name is missing."]
        assert by_row[6].errors == ["The same address as row 2."]
        assert by_row[7].values["name"] == 'HYPERLINK("http://x") Formel'
        assert "formula" in by_row[7].notes[0]
        assert "already has an account" in by_row[8].errors[0]
        assert "too long" in by_row[9].errors[0]
        assert by_row[10].errors == ["Already invited to this centre."]
        with pytest.raises(DomainError, match="one column only"):
            services.check_upload(centre, upload, ["email", "", "email", ""])
        with pytest.raises(DomainError, match="E-mail"):
            services.check_upload(centre, upload, ["first_name", "last_name", "", ""])


def test_activity_rows_are_checked(app, centre):
    existing = make_activity(centre, title="Vorlesestunde")
    day = today() + dt.timedelta(days=10)
    ClosingDay.create(centre=centre, day=day + dt.timedelta(days=1))
    d = f"{day:%d.%m.%Y}"
    text = (
        "Titel;Kategorie;Ort;Datum;Beginn;Ende;Plätze\n"
        f"Basteln;Vorlesen;Saal;{d};10:00;12:00;3\n"  # 2: good, new
        f"Basteln;Vorlesen;Saal;{d};10:00;12:00;3\n"  # 3: the same again
        f"Gärtnern;Nichtda;Hof;{d};10:00;12:00;\n"  # 4: unknown category
        f"Alt;Vorlesen;Hof;01.01.2000;10:00;12:00;\n"  # 5: passed
        f"Zeit;Reading aloud;Hof;{d};25:00;12;\n"  # 6: bad time (English category is fine)
        f"Rückwärts;Vorlesen;Hof;{d};12:00;10:00;99\n"  # 7: end before start, capacity
        f"vorlesestunde;Vorlesen;;{d};15:00;16:00;\n"  # 8: a date for the existing one
        f"Zu;Vorlesen;Hof;{day + dt.timedelta(days=1):%d.%m.%Y};10:00;11:00;\n"  # 9: closed
        "Vorlesestunde;Vorlesen;Hof;;;;\n"  # 10: exists already
        f";Vorlesen;Hof;{d};10:00;12:00;\n"  # 11: no title
    )
    upload = services.Upload(centre.id, "activities", _table(text))
    with english_context(app):
        checked = services.check_upload(
            centre, upload, checks.guess_mapping("activities", upload.table.header)
        )
    by_row = {r.number: r for r in checked.rows}
    assert [r.number for r in checked.good] == [2, 8]
    assert by_row[3].errors == ["The same as row 2."]
    assert "no category “Nichtda”" in by_row[4].errors[0]
    assert "has passed" in by_row[5].errors[0]
    assert by_row[6].errors == ["Start: “25:00” is not a time like 10:00."]
    assert by_row[7].errors == [
        "The end must be after the start.",
        "Volunteers needed: “99” is not a number from 1 to 50.",
    ]
    assert by_row[8].values["activity_id"] == existing.id
    assert "existing activity" in by_row[8].notes[0]
    assert "closed" in by_row[9].errors[0]
    assert by_row[10].errors == ["This activity exists already."]
    assert by_row[11].errors == ["The title is missing."]


# --- Through the pages: nothing written before the confirmation -------------------------------


def _upload(client, text: str | bytes, name="liste.csv", kind="volunteers", locale="uk"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        IMPORT, data={"kind": kind, "locale": locale, "file": (io.BytesIO(data), name)}
    )


def _hidden(page: str) -> dict:
    fields = dict(re.findall(r'name="(token|columns-\d+)"[^>]*value="([^"]*)"', page))
    # The mapping page has selects: take the selected option of each.
    for index, chosen in re.findall(
        r'name="columns-(\d+)".*?<option value="([^"]*)"[^>]*selected', page, re.S
    ):
        fields.setdefault(f"columns-{index}", chosen)
    return fields


def test_invite_from_a_list_then_accept(app, client, login_as, centre, coordinator):
    make_user(email="erik@example.org")
    english(login_as(coordinator))
    before = _counts()
    mapping_page = _upload(client, LIST)
    assert mapping_page.status_code == 200
    page = mapping_page.get_data(as_text=True)
    assert "Which column holds what?" in page and "anna@example.org" in page
    form = _hidden(page)
    assert [form[f"columns-{i}"] for i in range(4)] == ["first_name", "last_name", "email", ""]
    preview = client.post(f"{IMPORT}/vorschau", data=form)
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert "3 rows can be imported." in text and "6 rows have problems" in text
    assert "Row 4" in text and "is not a valid e-mail address" in text
    assert _counts() == before  # uploading, mapping and the preview write nothing

    done = client.post(f"{IMPORT}/uebernehmen", data=_hidden(text))
    assert done.status_code == 302
    page = client.get(IMPORT).get_data(as_text=True)
    assert "3 people invited by e-mail. 6 rows with problems were left out." in page
    invited = {i.email: i for i in ImportInvitation.select()}
    assert set(invited) == {"anna@example.org", "formel@example.org", "joerg@example.org"}
    assert invited["anna@example.org"].invited_by_id == coordinator.id
    mail = OutboxMessage.get(OutboxMessage.recipient == "anna@example.org")
    assert mail.locale == "uk" and "ThEKiZ Löwenzahn" in mail.subject
    link = re.search(r"https?://\S+/einladung/mitmachen/(\S+)\?lang=uk", mail.body_text)
    # The same upload again: everybody is invited already, nothing is written twice.
    again = client.post(f"{IMPORT}/uebernehmen", data=_hidden(text))
    assert again.status_code == 409 and "No row can be imported" in again.get_data(as_text=True)
    assert ImportInvitation.select().count() == 3

    # Anna accepts with a new account of her own: her consent, the centre reachable.
    client.get("/konto/abmelden")
    anonymous = app.test_client()
    token = link.group(1)
    form_page = anonymous.get(f"/einladung/mitmachen/{token}?lang=uk")
    assert form_page.status_code == 200 and 'lang="uk"' in form_page.get_data(as_text=True)
    refused = anonymous.post(
        f"/einladung/mitmachen/{token}", data={"name": "Anna", "password": PASSWORD}
    )
    assert refused.status_code == 200 and User.get_or_none(User.email == "anna@example.org") is None
    accepted = anonymous.post(
        f"/einladung/mitmachen/{token}",
        data={"name": "Anna Aurich", "password": PASSWORD, "consent": "y"},
    )
    assert accepted.status_code == 302
    anna = User.get(User.email == "anna@example.org")
    assert anna.email_confirmed_at is not None and anna.role == "volunteer"
    assert Consent.select().where(Consent.user == anna.id).count() == 1
    assert ReachableCentre.get(ReachableCentre.user == anna.id).centre_id == centre.id
    assert not ImportInvitation.select().where(ImportInvitation.email == anna.email).exists()
    assert app.test_client().get(f"/einladung/mitmachen/{token}").status_code == 404


def test_an_existing_account_accepts_when_logged_in(app, client, login_as, centre):
    erik = make_user(email="erik@example.org", name="Erik")
    token, token_hash = "t" * 43, None
    from volunteer_app.common.security import hash_token

    token_hash = hash_token(token)
    ImportInvitation.create(
        centre=centre, email="erik@example.org", name="Erik", token_hash=token_hash,
        expires_at=utcnow() + dt.timedelta(days=3),
    )  # fmt: skip
    anonymous = app.test_client().get(f"/einladung/mitmachen/{token}")
    assert anonymous.status_code == 302 and "/konto/anmelden" in anonymous.headers["Location"]
    other = switch_user(login_as, make_user(email="otto@example.org"))
    assert other.get(f"/einladung/mitmachen/{token}").status_code == 403
    switch_user(login_as, erik)
    assert client.post(f"/einladung/mitmachen/{token}", data={}).status_code == 302
    assert ReachableCentre.select().where(ReachableCentre.user == erik.id).count() == 1
    assert ImportInvitation.select().count() == 0


def test_expired_invitations_are_deleted_by_retention(app, centre):
    now = utcnow()
    for n, days in enumerate((-1, 1)):
        ImportInvitation.create(
            centre=centre, email=f"p{n}@example.org", name="P", token_hash=str(n) * 64,
            created_at=now, expires_at=now + dt.timedelta(days=days),
        )  # fmt: skip
    with pytest.raises(DomainError):
        invitations.check_invitation("0" * 64)  # not the token, and expired anyway
    result = run_retention(now=now)
    assert result.counts["import_invitations"] == 1
    assert [i.email for i in ImportInvitation.select()] == ["p1@example.org"]
    assert run_retention(now=now).counts["import_invitations"] == 0  # idempotent


def test_a_sealed_upload_belongs_to_its_centre(app, centre, coordinator, client, login_as):
    other = make_centre(slug="anderes")
    upload = services.Upload(other.id, "volunteers", _table("Name;E-Mail\nA;a@example.org\n"))
    token = services.seal(upload)
    with pytest.raises(DomainError):
        services.unseal(token, centre)
    with pytest.raises(DomainError):
        services.unseal(token[:-3] + "abc", other)
    english(login_as(coordinator))
    before = _counts()
    response = client.post(
        f"{IMPORT}/uebernehmen", data={"token": token, "columns-0": "name", "columns-1": "email"}
    )
    assert response.status_code == 302 and _counts() == before


def test_upload_page_lists_invitations_in_fixed_queries(app, client, login_as, centre, coordinator):
    login_as(coordinator)
    counts = []
    for n in range(2):
        for k in range(5):
            ImportInvitation.create(
                centre=centre, email=f"p{n}{k}@example.org", name="P", token_hash=f"{n}{k}" * 32,
                expires_at=utcnow() + dt.timedelta(days=3),
            )  # fmt: skip
        with count_queries() as counter:
            assert client.get(IMPORT).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


# --- Activities: all or nothing, and back out as CSV ------------------------------------------


def test_activities_import_all_or_nothing_and_export(app, client, login_as, centre, coordinator):
    english(login_as(coordinator))
    day = today() + dt.timedelta(days=12)
    d = f"{day:%d.%m.%Y}"
    good = (
        "Title;Category;Place;Description;Date;Start;End;Volunteers needed\n"
        f"Basteln;Reading aloud;Saal;-> Schere mitbringen;{d};10:00;12:00;3\n"
        f"Basteln;Reading aloud;Saal;;{day + dt.timedelta(days=7):%d.%m.%Y};10:00;12:00;4\n"
        "Kochen;Cooking;Küche;;;;;\n"
    )
    # A date today that has already begun passes the checks but not the schedule: the whole
    # import is refused, and the good rows before it are not written either.
    failing = good + f"Frühstück;Cooking;Küche;;{today():%d.%m.%Y};00:00;00:01;\n"
    before = _counts()
    page = _upload(client, failing, kind="activities").get_data(as_text=True)
    preview = client.post(f"{IMPORT}/vorschau", data=_hidden(page))
    refused = client.post(f"{IMPORT}/uebernehmen", data=_hidden(preview.get_data(as_text=True)))
    assert refused.status_code == 409
    assert "Row 5:" in refused.get_data(as_text=True)
    assert _counts() == before

    page = _upload(client, good, kind="activities").get_data(as_text=True)
    preview = client.post(f"{IMPORT}/vorschau", data=_hidden(page))
    done = client.post(f"{IMPORT}/uebernehmen", data=_hidden(preview.get_data(as_text=True)))
    assert done.status_code == 302
    assert "2 new activities and 2 dates imported." in client.get(IMPORT).get_data(as_text=True)
    basteln = Activity.get(Activity.title == "Basteln")
    assert (basteln.volunteers_needed, basteln.responsible_id) == (3, coordinator.id)
    assert Series.select().where(Series.activity == basteln.id).count() == 2
    assert sorted(s.capacity for s in Slot.select().where(Slot.activity == basteln.id)) == [3, 4]

    export = client.get("/zentren/loewenzahn/angebote.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(
        csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0][0] == "Title" and len(rows) == 4
    assert rows[1] == [
        "Basteln",
        "Reading aloud",
        "Saal",
        "'-> Schere mitbringen",
        d,
        "10:00",
        "12:00",
        "3",
    ]
    assert rows[3][:5] == ["Kochen", "Cooking", "Küche", "", ""]


def test_list_invitations_in_the_data_download_and_gone_with_the_account(app, centre, coordinator):
    from volunteer_app.erasure.services import erase_account
    from volunteer_app.privacy.queries import personal_data

    person = make_user(email="paula@example.org")
    for email, by in (("paula@example.org", coordinator), ("other@example.org", person)):
        ImportInvitation.create(
            centre=centre, email=email, name="Paula", invited_by=by, token_hash=email[:5] * 10,
            expires_at=utcnow() + dt.timedelta(days=3),
        )  # fmt: skip
    staff = personal_data(person, now=utcnow())["staff"]
    assert [i["centre"] for i in staff["list_invitations_received"]] == ["ThEKiZ Löwenzahn"]
    # Sent by the person: counted per centre, without the invited person's address.
    assert staff["list_invitations_sent"] == [
        {"centre": "ThEKiZ Löwenzahn", "sent_at": staff["list_invitations_sent"][0]["sent_at"]}
    ]
    erase_account(person)
    assert [i.email for i in ImportInvitation.select()] == ["other@example.org"]
    assert ImportInvitation.get().invited_by_id is None
