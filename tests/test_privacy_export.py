"""My data, downloadable: the ZIP with data.json and CSV files (Art. 15 and 20 GDPR)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
import zipfile
from decimal import Decimal

import peewee as pw
import pytest

from tests.factories import (
    PASSWORD,
    make_activity,
    make_centre,
    make_check,
    make_coordinator,
    make_signup,
    make_slot,
    make_user,
)
from tests.factories_accounts import make_totp_user, use_english, use_fast_hashing
from tests.factories_centres import count_queries, make_invitation
from tests.factories_feeds import link_of
from tests.factories_hub import make_booking, make_room
from tests.factories_proposals import make_run
from tests.factories_wishes import make_wish
from volunteer_app.accounts.models import Consent, LoginToken, RecoveryCode, User
from volunteer_app.accounts.twofactor import hash_recovery_code
from volunteer_app.audit import services as audit
from volunteer_app.centres.queries import today
from volunteer_app.checks.models import MeaslesProof
from volunteer_app.common.security import new_token
from volunteer_app.common.time import to_berlin
from volunteer_app.db import utcnow
from volunteer_app.models import all_models
from volunteer_app.notifications.models import DigestSent, OutboxMessage
from volunteer_app.privacy import export, services
from volunteer_app.privacy.queries import MAIL_DAYS
from volunteer_app.proposals.models import Proposal, WeeklySuggestions
from volunteer_app.reports.models import VolunteeringCertificate
from volunteer_app.volunteers.models import (
    AvailabilityWindow,
    Interest,
    ReachableCentre,
    VolunteerProfile,
)

DOWNLOAD = "/konto/meine-daten/herunterladen"


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    use_fast_hashing(monkeypatch)


# --- Every column that points to a person is accounted for ---------------------------------

# Column names that identify a person without a foreign key (an address, a name, a phone).
IDENTIFYING_NAMES = {"email", "recipient", "new_email", "phone"}
IDENTIFYING_SUFFIXES = ("_email", "_phone", "_name", "_contact")


def _person_columns() -> list[str]:
    found = []
    for model in all_models():
        for field in model._meta.sorted_fields:
            points_to_user = isinstance(field, pw.ForeignKeyField) and field.rel_model is User
            named = field.name in IDENTIFYING_NAMES or field.name.endswith(IDENTIFYING_SUFFIXES)
            if model is User or points_to_user or named:
                found.append(f"{model.__name__}.{field.name}")
    return found


def test_every_column_that_points_to_a_person_is_exported_or_excused():
    columns = _person_columns()
    missing = [c for c in columns if c not in export.COVERAGE and c not in export.NOT_EXPORTED]
    assert not missing, (
        "Add these columns to privacy.export.COVERAGE (the data.json section that exports "
        f"them) or to NOT_EXPORTED (with the reason): {missing}"
    )
    # Both at once would be a contradiction.
    assert not set(export.COVERAGE) & set(export.NOT_EXPORTED)
    # A forgotten entry for a column that no longer exists would hide the next mistake.
    existing = {f"{m.__name__}.{f.name}" for m in all_models() for f in m._meta.sorted_fields}
    assert set(export.COVERAGE) <= existing, set(export.COVERAGE) - existing
    assert set(export.NOT_EXPORTED) <= existing, set(export.NOT_EXPORTED) - existing
    assert set(export.COVERAGE.values()) <= set(export.SECTIONS)
    assert all(len(reason) > 20 for reason in export.NOT_EXPORTED.values())


def test_the_walk_finds_user_references_and_addresses():
    columns = _person_columns()
    # The walk itself must see foreign keys, addresses and the user's own columns.
    for expected in ("Signup.volunteer", "OutboxMessage.recipient", "Wish.email", "User.name"):
        assert expected in columns


# --- A person with a row in every table ----------------------------------------------------


class World:
    pass


@pytest.fixture
def world(conn):
    w = World()
    now = utcnow().replace(microsecond=0)
    w.centre = make_centre(name="ThEKiZ Regenbogenhaus", town="Erfurt")
    w.coordinator = make_coordinator(w.centre, name="Clara Koordinatorin")
    w.anna = make_totp_user(
        email="anna@example.org", name="Anna Beispiel", phone="0361 123456", codes=["AAAA-BBBB"]
    )
    w.other = make_user(email="otto@example.org", name="Otto Anderer")
    activity = make_activity(w.centre, title="Vorlesestunde", responsible=w.coordinator)
    w.past = make_slot(activity, starts_at=now - dt.timedelta(days=20), hours=2)
    w.future = make_slot(activity, starts_at=now + dt.timedelta(days=5), hours=1.5)
    make_signup(w.past, w.anna, attendance="attended", hours=Decimal("2.5"))
    make_signup(w.future, w.anna, assigned_by=w.coordinator)
    make_signup(w.future, w.other)
    VolunteerProfile.create(user=w.anna, languages="de,ar", reminder_hours=48, max_per_week=3)
    Interest.create(user=w.anna, category=activity.category)
    AvailabilityWindow.create(user=w.anna, weekday=1, start_time=dt.time(14), end_time=dt.time(18))
    ReachableCentre.create(user=w.anna, centre=w.centre)
    WeeklySuggestions.create(user=w.anna)
    make_check(w.anna, w.centre, inspected_by=w.coordinator)
    MeaslesProof.create(
        volunteer=w.anna,
        centre=w.centre,
        shown_on=today(),
        proof_ok=True,
        recorded_by=w.coordinator,
    )
    w.feed, w.feed_token = link_of(w.anna)
    VolunteeringCertificate.create(
        volunteer=w.anna,
        centre=w.centre,
        period_start=today() - dt.timedelta(days=60),
        period_end=today(),
        status="signed",
        signed_by=w.coordinator,
        signed_by_name="Clara Koordinatorin",
        signed_on=today(),
        total_hours=Decimal("2.5"),
        dates_count=1,
    )
    w.wish = make_wish(
        w.centre, title="Babymassage am Abend", email="anna@example.org", email_consent_at=now
    )
    make_wish(w.centre, title="Fremder Wunsch", email="otto@example.org", email_consent_at=now)
    audit.record(w.centre.id, w.coordinator, "signup.assigned", w.anna, slot_id=w.future.id)
    audit.record(w.centre.id, w.coordinator, "signup.assigned", w.other, slot_id=w.future.id)
    run = make_run(w.centre, actor=w.coordinator)
    w.proposal_token, proposal_hash = new_token()
    Proposal.create(
        run=run, slot=w.future, volunteer=w.anna, status="invited", token_hash=proposal_hash
    )
    w.mail_recent = OutboxMessage.create(
        recipient="anna@example.org",
        subject="Erinnerung: Vorlesestunde",
        body_text="Hallo Anna, bis morgen!",
        body_html="<p>Hallo Anna</p>",
        status="sent",
        sent_at=now - dt.timedelta(days=2),
        created_at=now - dt.timedelta(days=2),
    )
    OutboxMessage.create(
        recipient="anna@example.org",
        subject="Uralte Nachricht",
        body_text="alt",
        body_html="alt",
        status="sent",
        created_at=now - dt.timedelta(days=MAIL_DAYS + 1),
    )
    OutboxMessage.create(
        recipient="anna@example.org",
        subject="Passwort zurücksetzen",
        body_text="",
        body_html="",
        status="sent",
        created_at=now - dt.timedelta(days=1),
    )
    OutboxMessage.create(
        recipient="otto@example.org",
        subject="Nachricht an Otto",
        body_text="x",
        body_html="x",
        created_at=now,
    )
    w.login_token, token_hash = new_token()
    LoginToken.create(
        user=w.anna,
        purpose="email_change",
        token_hash=token_hash,
        new_email="anna.neu@example.org",
        expires_at=now + dt.timedelta(hours=1),
    )
    make_invitation(w.centre, "anna@example.org", name="Anna B.", invited_by=w.coordinator)
    return w


def _download(client, login_as, user) -> tuple[object, zipfile.ZipFile]:
    login_as(user)
    response = client.get(DOWNLOAD)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response, zipfile.ZipFile(io.BytesIO(response.data))


def _csv(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    raw = archive.read(name)
    assert raw.startswith("\ufeff".encode()), name  # BOM for Excel
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_download_is_a_dated_zip_that_no_cache_keeps(client, login_as, world):
    response, archive = _download(client, login_as, world.anna)
    assert response.mimetype == "application/zip"
    day = to_berlin(utcnow()).date().isoformat()
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"meine-daten-{day}.zip" in disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert archive.testzip() is None
    assert set(archive.namelist()) == {
        "README.txt",
        "data.json",
        "signups.csv",
        "profile.csv",
        "consents.csv",
        "checks.csv",
        "feed_links.csv",
        "api_tokens.csv",
        "volunteering_certificates.csv",
        "allowances.csv",
        "wishes.csv",
        "audit.csv",
        "mails.csv",
    }


def test_data_json_holds_every_section_with_the_persons_rows(client, login_as, world):
    _, archive = _download(client, login_as, world.anna)
    data = json.loads(archive.read("data.json"))
    assert data["format"] == "thekiz-personal-data" and data["format_version"] == 1
    assert set(export.SECTIONS) <= set(data)

    account = data["account"]
    assert (account["name"], account["email"], account["phone"]) == (
        "Anna Beispiel",
        "anna@example.org",
        "0361 123456",
    )
    assert account["two_factor"]["recovery_codes_left"] == 1
    assert account["two_factor"]["enabled_since"].endswith("Z")

    profile = data["profile"]
    assert profile["languages"] == ["de", "ar"]
    assert profile["reminder_hours_before"] == 48
    assert profile["max_per_week"] == 3
    assert profile["time_windows"] == [{"weekday": "tuesday", "start": "14:00", "end": "18:00"}]
    assert profile["centres"] == ["ThEKiZ Regenbogenhaus, Erfurt"]
    assert len(profile["interests"]) == 1
    assert profile["weekly_suggestions_since"] is not None

    signups = data["signups"]
    assert [s["activity"] for s in signups] == ["Vorlesestunde", "Vorlesestunde"]
    assert signups[0]["attendance"] == "attended" and signups[0]["hours"] == 2.5
    assert signups[1]["status"] == "confirmed" and signups[1]["assigned_by_coordinator"]
    assert signups[0]["starts_at"] == world.past.starts_at.isoformat() + "Z"

    kinds = {c["kind"]: c for c in data["consents"]}
    assert kinds["privacy"]["status"] == "given" and kinds["privacy"]["version"]
    assert kinds["weekly_suggestions"]["status"] == "given"
    assert kinds["reminders"]["detail"] == "48 h"
    assert kinds["wish_answer"]["detail"] == "Babymassage am Abend"

    checks = data["checks"]
    [certificate] = checks["police_certificates"]
    assert certificate["eligible"] is True and certificate["inspected_on"]
    assert set(certificate) == {
        "centre",
        "certificate_date",
        "inspected_on",
        "eligible",
        "recorded_at",
    }
    assert checks["measles"][0]["protected"] is True

    [feed] = data["feed_links"]
    assert feed["kind"] == "volunteer" and feed["switched_off_at"] is None
    [cert] = data["volunteering_certificates"]
    assert cert["signed_by"] == "Clara Koordinatorin" and cert["total_hours"] == 2.5
    assert [w["title"] for w in data["wishes"]] == ["Babymassage am Abend"]
    assert [p["status"] for p in data["proposals"]] == ["invited"]
    [entry] = data["audit"]
    assert entry["about_you"] and entry["by"] == "Clara Koordinatorin"
    assert entry["action"] == "signup.assigned" and entry["activity"] == "Vorlesestunde"
    assert [(m["subject"], m["body"]) for m in data["mails"]] == [
        ("Erinnerung: Vorlesestunde", "Hallo Anna, bis morgen!"),
        ("Passwort zurücksetzen", None),  # the body was cleared: only subject, date, status
    ]
    [link] = data["one_time_links"]
    assert link["purpose"] == "email_change" and link["new_email"] == "anna.neu@example.org"
    assert data["staff"]["invitations_received"][0]["name"] == "Anna B."


def test_the_download_holds_no_secret_and_nobody_else(client, login_as, world):
    _, archive = _download(client, login_as, world.anna)
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8")
    anna = User.get_by_id(world.anna.id)
    secrets = [
        anna.password_hash,
        anna.session_token,
        anna.totp_secret,
        world.feed_token,
        world.feed.seed,
        world.feed.token_hash,
        world.login_token,
        LoginToken.get().token_hash,
        world.proposal_token,
        Proposal.get().token_hash,
        RecoveryCode.get().code_hash,
        hash_recovery_code("AAAA-BBBB"),
    ]
    for secret in secrets:
        assert secret and secret not in everything
    # Another volunteer of the same slot, centre and coordinator: never named.
    for trace in ("Otto", "otto@example.org", "Fremder Wunsch", "Nachricht an Otto"):
        assert trace not in everything
    assert "Uralte Nachricht" not in everything  # older than the mail window


def test_csv_files_open_in_a_german_spreadsheet(client, login_as, world):
    _, archive = _download(client, login_as, world.anna)
    signups = _csv(archive, "signups.csv")
    assert signups[0][:3] == ["Zentrum", "Angebot", "Kategorie"]
    first = signups[1]
    assert first[0] == "ThEKiZ Regenbogenhaus"
    assert first[3] == to_berlin(world.past.starts_at).strftime("%Y-%m-%d %H:%M")
    assert "2,5" in first  # German decimal sign: a number for German Excel
    profile = dict(_csv(archive, "profile.csv")[1:])
    assert profile["E-Mail"] == "anna@example.org"
    assert profile["Telefon"] == '="0361 123456"'  # kept as typed, no apostrophe shown
    assert "Dienstag 14:00–18:00" in profile.values()
    consents = _csv(archive, "consents.csv")
    assert any(row[0] == "Datenschutzerklärung" and row[2] for row in consents[1:])
    checks = _csv(archive, "checks.csv")
    assert len(checks) == 3  # header, certificate, measles: dates and yes/no only
    mails = _csv(archive, "mails.csv")
    assert [row[1] for row in mails[1:]] == ["Erinnerung: Vorlesestunde", "Passwort zurücksetzen"]


def test_csv_cells_never_run_as_formulas(client, login_as, conn):
    person = make_user(name='=HYPERLINK("http://evil")')
    _, archive = _download(client, login_as, person)
    profile = _csv(archive, "profile.csv")
    assert ["Name", '\'=HYPERLINK("http://evil")'] in profile


def test_english_headers_for_an_english_reader(client, login_as, world):
    login_as(world.anna)
    use_english(client)
    archive = zipfile.ZipFile(io.BytesIO(client.get(DOWNLOAD).data))
    assert _csv(archive, "signups.csv")[0][:3] == ["Centre", "Activity", "Category"]
    assert "Your data at ThEKiZ Ehrenamt" in archive.read("README.txt").decode("utf-8-sig")


def test_staff_export_names_their_work_but_not_the_people_it_was_about(client, login_as, world):
    room = make_room(world.centre, name="Beratungszimmer")
    make_booking(room, title="Elterncafé", created_by=world.coordinator)
    DigestSent.create(user=world.coordinator, day=today())
    _, archive = _download(client, login_as, world.coordinator)
    data = json.loads(archive.read("data.json"))
    staff = data["staff"]
    assert [c["centre"] for c in staff["centres"]] == ["ThEKiZ Regenbogenhaus"]
    assert staff["responsible_for_activities"] == [
        {"centre": "ThEKiZ Regenbogenhaus", "activity": "Vorlesestunde"}
    ]
    assert [b["title"] for b in staff["room_bookings_made"]] == ["Elterncafé"]
    assert len(staff["invitations_sent"]) == 1 and len(staff["matching_runs_started"]) == 1
    assert staff["daily_digests"] == [today().isoformat()]
    # Two entries by the coordinator, about two volunteers: neither is named.
    assert [(a["by"], a["about_you"]) for a in data["audit"]] == [("you", False)] * 2
    everything = b"".join(archive.read(n) for n in archive.namelist()).decode("utf-8")
    for trace in ("Anna", "anna@example.org", "Otto", "otto@example.org", "Anna B."):
        assert trace not in everything


# --- Who may download, and how fast ---------------------------------------------------------


def test_download_needs_login(client, conn):
    response = client.get(DOWNLOAD)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/anmelden")


def test_download_needs_a_recent_password(client, login_as, conn):
    person = make_user()
    login_as(person)
    with client.session_transaction() as sess:
        sess["auth_at"] = time.time() - 3600
    response = client.get(DOWNLOAD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/konto/passwort-bestaetigen?next=/konto/meine-daten"
    # After the password the person is back on the page with the button, and it works.
    confirmed = client.post(
        "/konto/passwort-bestaetigen", data={"password": PASSWORD, "next": "/konto/meine-daten"}
    )
    assert confirmed.headers["Location"] == "/konto/meine-daten"
    assert client.get(DOWNLOAD).mimetype == "application/zip"


def test_nobody_builds_another_persons_download(conn):
    from volunteer_app.common.errors import NotAllowed

    anna, admin = make_user(), make_user(role="admin")
    with pytest.raises(NotAllowed):
        services.build_download(anna, actor=admin)


def test_the_account_page_links_to_the_download_in_german(client, login_as, conn):
    login_as(make_user())
    body = client.get("/konto/").get_data(as_text=True)
    assert 'href="/konto/meine-daten/herunterladen"' in body
    assert "Meine Daten herunterladen" in body
    page = client.get("/konto/meine-daten").get_data(as_text=True)
    assert "Meine Daten herunterladen" in page and "data.json" in page


def _with_signups(n: int) -> User:
    person = make_user()
    centre = make_centre()
    activity = make_activity(centre)
    start = utcnow().replace(microsecond=0) - dt.timedelta(days=n + 1)
    for i in range(n):
        slot = make_slot(activity, starts_at=start + dt.timedelta(days=i), capacity=1)
        make_signup(slot, person, attendance="attended", hours=Decimal("2"))
        audit.record(centre.id, person, "signup.cancelled", person, slot_id=slot.id)
        OutboxMessage.create(
            recipient=person.email, subject=f"Mail {i}", body_text="b", body_html="b"
        )
    return person


def test_query_count_does_not_grow_with_the_rows(conn):
    small, large = _with_signups(1), _with_signups(25)
    counts = []
    for person in (small, large):
        with count_queries() as counter:
            services.build_download(person, actor=person)
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    # 28 before this round; then "I can't come" and stand-ins (2), allowances, family links and
    # list invitations (1 each), centre messages (2), recognition (3), API tokens (1): 39
    # whatever the rows
    assert counts[0] <= 39


def test_a_normal_account_is_ready_well_under_a_second(conn):
    person = _with_signups(60)
    started = time.perf_counter()
    download = services.build_download(person, actor=person)
    assert time.perf_counter() - started < 0.8
    data = json.loads(zipfile.ZipFile(io.BytesIO(download.content)).read("data.json"))
    assert len(data["signups"]) == 60 and len(data["mails"]) == 60


def test_consents_section_keeps_withdrawn_ones(conn):
    person = make_user()
    Consent.create(
        user=person,
        kind="privacy",
        version="2020-01",
        given_at=utcnow() - dt.timedelta(days=900),
        withdrawn_at=utcnow() - dt.timedelta(days=800),
    )
    download = services.build_download(person, actor=person)
    data = json.loads(zipfile.ZipFile(io.BytesIO(download.content)).read("data.json"))
    withdrawn = [c for c in data["consents"] if c["status"] == "withdrawn"]
    assert [(c["kind"], c["version"]) for c in withdrawn] == [("privacy", "2020-01")]
    assert withdrawn[0]["withdrawn_at"].endswith("Z")
