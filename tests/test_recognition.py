"""Recognition in Thuringia: the Ehrenamtscard figures on hand-built histories (the 5-hour
week, the 5 years, the 18th birthday, allowances), the Ehrenamtszertifikat signed only by the
centre's coordinators, the card holders with their expiry, privacy, pages and query counts."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal

import pytest

from tests.factories import make_activity, make_centre, make_coordinator, make_operator, make_user
from tests.factories_centres import count_queries, english
from tests.factories_wishes import attended, slot_on
from volunteer_app.centres.queries import today
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed
from volunteer_app.db import utcnow
from volunteer_app.recognition import queries, services
from volunteer_app.recognition.models import BirthYear, CardHolding, EhrenamtsZertifikat

pytestmark = pytest.mark.dates  # "this year", card expiry: CI reruns it at fixed days


@pytest.fixture(autouse=True)
def english_messages(app):
    from flask_babel import force_locale

    with force_locale("en"):
        yield


class History:
    """Two centres of one operator and one of another; ``year`` is last year (complete)."""

    def __init__(self):
        self.year = today().year - 1
        operator = make_operator(name="Träger Thüringen")
        self.a = make_centre(name="Zentrum Anger", slug="anger", operator=operator)
        self.b = make_centre(name="Zentrum Brühl", slug="bruehl", operator=operator)
        self.other = make_centre(name="Zentrum Fremd", slug="fremd", operator=make_operator())
        self.reading = make_activity(self.a, "reading", title="Vorlesen")
        self.cooking = make_activity(self.b, "cooking", title="Kochen")
        self.elsewhere = make_activity(self.other, "reading", title="Anderswo")
        self.coordinator = make_coordinator(self.a, name="Clara Auerbach")

    def on(self, activity, day: dt.date, volunteer, hours, start=dt.time(10)):
        return attended(slot_on(activity, day, start=start), volunteer, hours)

    def hours_in_year(self, volunteer, total: Decimal) -> None:
        """``total`` hours in ``year``, 20 hours a date, spread over the year at A and B."""
        day, left, n = dt.date(self.year, 1, 5), total, 0
        while left > 0:
            chunk = min(left, Decimal("20"))
            self.on(self.reading if n % 2 else self.cooking, day, volunteer, chunk)
            left -= chunk
            day += dt.timedelta(days=14)
            n += 1


@pytest.fixture
def h(conn):
    return History()


def figures(h, person, year=None):
    return queries.card_figures(person.id, h.a, year or h.year, today())


def test_five_hours_a_week_is_260_hours_a_year_across_the_operators_centres(h):
    exactly, short = make_user(), make_user()
    h.hours_in_year(exactly, Decimal("260"))
    h.hours_in_year(short, Decimal("259.99"))
    # Not counted: another operator's centre, a no-show, and the first hour of the next year.
    h.on(h.elsewhere, dt.date(h.year, 6, 1), short, 5)
    no_show = attended(slot_on(h.reading, dt.date(h.year, 6, 2)), short, 5)
    no_show.attendance = "no_show"
    no_show.save()
    h.on(h.reading, dt.date(h.year + 1, 1, 1), short, 1, start=dt.time(0, 30))
    full, almost = figures(h, exactly), figures(h, short)
    assert (full.hours, full.per_week, full.hours_met) == (Decimal("260.00"), Decimal("5.00"), True)
    assert (almost.hours, almost.hours_met) == (Decimal("259.99"), False)
    assert almost.per_week == Decimal("5.00")  # rounded, yet the total decides
    assert almost.hours_missing == Decimal("0.01")
    # From centre B of the same operator the figures are the same.
    assert queries.card_figures(exactly.id, h.b, h.year, today()).hours == Decimal("260.00")


def test_five_years_in_the_organisation_count_from_the_first_attended_date(h):
    since_five, since_four, only_elsewhere = make_user(), make_user(), make_user()
    h.on(h.cooking, dt.date(h.year - 5, 12, 31), since_five, 2)  # at B: same operator
    h.on(h.reading, dt.date(h.year - 4, 1, 1), since_four, 2)
    h.on(h.elsewhere, dt.date(h.year - 9, 3, 1), only_elsewhere, 2)
    h.on(h.reading, dt.date(h.year, 3, 1), only_elsewhere, 2)
    five, four, other = (figures(h, p) for p in (since_five, since_four, only_elsewhere))
    assert (five.first_day, five.years_active, five.years_met) == (
        dt.date(h.year - 5, 12, 31),
        5,
        True,
    )
    assert (four.years_active, four.years_met) == (4, False)
    assert (other.first_day, other.years_active) == (dt.date(h.year, 3, 1), 0)
    # As of an earlier year, fewer years count; before the first date, none.
    assert figures(h, since_five, h.year - 1).years_active == 4
    assert figures(h, since_five, h.year - 6).years_active == 0


def test_the_18th_birthday_counts_in_its_year_and_the_birth_year_is_the_volunteers(h):
    person = make_user()
    assert figures(h, person).age_met is None
    services.set_birth_year(h.year - 17, actor=person)
    assert figures(h, person).age_met is False
    services.set_birth_year(h.year - 18, actor=person)
    assert figures(h, person).age_met is True
    assert BirthYear.select().where(BirthYear.user == person.id).count() == 1
    for bad in (today().year - 5, 1800, "1990"):
        with pytest.raises(DomainError) as refused:
            services.set_birth_year(bad, actor=person)
        assert refused.value.field == "year"
    services.forget_birth_year(actor=person)
    assert figures(h, person).birth_year is None


def test_an_allowance_beyond_expenses_is_shown_and_rules_the_card_out(h, monkeypatch):
    from volunteer_app.allowances import queries as allowances

    person = make_user()
    h.hours_in_year(person, Decimal("300"))
    h.on(h.reading, dt.date(h.year - 6, 5, 1), person, 2)
    services.set_birth_year(h.year - 40, actor=person)
    asked = []

    def year_totals(user_id, operator_id, year):
        asked.append((user_id, operator_id, year))
        return {"ehrenamt": Decimal("0"), "uebungsleiter": Decimal("0")}

    monkeypatch.setattr(allowances, "year_totals", year_totals)
    clean = figures(h, person)
    assert clean.all_met and clean.allowance_met
    assert asked == [(person.id, h.a.operator_id, h.year)]

    monkeypatch.setattr(
        allowances,
        "year_totals",
        lambda *a: {"ehrenamt": Decimal("240.00"), "uebungsleiter": Decimal("0")},
    )
    paid = figures(h, person)
    assert (paid.allowances, paid.allowance_met, paid.all_met) == (Decimal("240.00"), False, False)
    # Without the allowances feature installed, nothing is known of allowances.
    monkeypatch.setitem(sys.modules, "volunteer_app.allowances.queries", None)
    assert figures(h, person).allowances is None


def _sign(h, person, actor=None, **changes):
    data = {
        "period_start": dt.date(h.year, 1, 1),
        "period_end": dt.date(h.year, 12, 31),
        "function": "Lesepatin",
        "skills": "Vorlesen vor Gruppen\nGeduld",
        "trainings": "Erste Hilfe am Kind",
        "signer_name": "Clara Auerbach",
        "signed_on": today(),
    }
    data.update(changes)
    return services.sign_zertifikat(h.a, person, **data, actor=actor or h.coordinator)


def test_the_certificate_needs_14_years_a_year_of_activity_and_a_coordinator(h):
    person = make_user(name="Lena Vogt")
    h.on(h.reading, dt.date(h.year, 3, 1), person, 2)
    h.on(h.cooking, dt.date(h.year, 5, 1), person, 3)  # at B: not on A's certificate
    with pytest.raises(DomainError, match="year of birth"):
        _sign(h, person)
    services.set_birth_year(h.year - 13, actor=person)
    with pytest.raises(DomainError, match="from 14 years"):
        _sign(h, person)
    services.set_birth_year(h.year - 14, actor=person)
    with pytest.raises(DomainError, match="a year of activity"):
        _sign(h, person)
    h.on(h.cooking, dt.date(h.year - 1, 12, 1), person, 1)  # a year before, at B
    with pytest.raises(NotAllowed):
        _sign(h, person, actor=make_coordinator(h.other))
    with pytest.raises(DomainError) as refused:
        _sign(h, person, function="  ")
    assert refused.value.field == "function"
    assert EhrenamtsZertifikat.select().count() == 0

    cert = _sign(h, person)
    assert (cert.total_hours, cert.dates_count, cert.area_names) == (
        Decimal("2.00"),
        1,
        ["Reading aloud"],
    )
    with pytest.raises(Conflict):
        _sign(h, person)
    from volunteer_app.audit.models import AuditEntry

    assert AuditEntry.get(AuditEntry.action == "zertifikat.signed").subject_id == person.id


def test_cards_are_listed_with_their_expiry_and_deleted_a_year_after_it(h):
    person = make_user(name="Jonas Keller")
    now = today()
    soon = services.record_card(
        h.a, person, kind="ehrenamtscard", number="EC-1", expires_on=now + dt.timedelta(days=30),
        actor=h.coordinator,
    )  # fmt: skip
    services.record_card(
        h.a, person, kind="juleica", number="", expires_on=now + dt.timedelta(days=400),
        actor=h.coordinator,
    )  # fmt: skip
    old = CardHolding.create(
        volunteer=person, centre=h.b, kind="juleica", expires_on=now - dt.timedelta(days=10)
    )
    lines = queries.centre_cards(h.a, now)
    assert [(line.card.kind, line.state) for line in lines] == [
        ("juleica", "expired"), ("ehrenamtscard", "soon"), ("juleica", "valid"),
    ]  # fmt: skip
    with pytest.raises(DomainError):
        services.record_card(
            h.a, person, kind="other", number="", expires_on=now, actor=h.coordinator
        )
    with pytest.raises(DomainError):
        services.record_card(
            h.a, person, kind="juleica", number="", expires_on=now - dt.timedelta(days=800),
            actor=h.coordinator,
        )  # fmt: skip
    with pytest.raises(NotAllowed):
        services.delete_card(h.b, old.id, actor=h.coordinator)
    with pytest.raises(DomainError):  # B's card, from A's page
        services.delete_card(h.a, old.id, actor=h.coordinator)
    services.delete_card(h.a, soon.id, actor=h.coordinator)
    assert services.delete_expired_cards(utcnow() + dt.timedelta(days=354)) == 0
    assert services.delete_expired_cards(utcnow() + dt.timedelta(days=356)) == 1
    assert CardHolding.select().count() == 1


def test_the_volunteers_page_shows_their_progress_and_takes_their_birth_year(client, login_as, h):
    person = make_user(name="Mira Sommer")
    h.hours_in_year(person, Decimal("100"))
    login_as(person)
    english(client)
    body = client.get(f"/mein-engagement/anerkennung?jahr={h.year}").get_data(as_text=True)
    assert "Träger Thüringen" in body and "100 hours" in body and "160 hours to go" in body
    refused = client.post("/mein-engagement/anerkennung/geburtsjahr", data={"year": "20x"})
    assert refused.status_code == 200 and "whole number" in refused.get_data(as_text=True)
    assert BirthYear.select().count() == 0
    saved = client.post("/mein-engagement/anerkennung/geburtsjahr", data={"year": "1990"})
    assert saved.status_code == 302
    assert BirthYear.get(BirthYear.user == person.id).year == 1990


def test_staff_pages_print_and_take_a_fixed_number_of_queries(client, login_as, h):
    person = make_user(name="Mira Sommer")
    h.hours_in_year(person, Decimal("60"))
    h.on(h.reading, dt.date(h.year - 1, 6, 1), person, 2)
    services.set_birth_year(h.year - 30, actor=person)
    cert = _sign(h, person)
    services.record_card(
        h.a, person, kind="ehrenamtscard", number="", expires_on=today(), actor=h.coordinator
    )
    login_as(h.coordinator)
    english(client)

    def overview():
        with count_queries() as counter:
            page = client.get(f"/zentren/anger/anerkennung?jahr={h.year}")
        assert page.status_code == 200
        return counter.count, page.get_data(as_text=True)

    small, body = overview()
    assert "Mira Sommer" in body and "expires soon" in body
    for n in range(5):
        other = make_user()
        h.on(h.reading, dt.date(h.year, 2, 1 + n), other, 2)
        services.set_birth_year(1990, actor=other)
        services.record_card(
            h.a, other, kind="juleica", number="", expires_on=today(), actor=h.coordinator
        )
    assert overview()[0] == small

    letter = client.get(f"/zentren/anger/anerkennung/{person.id}/ehrenamtscard?jahr={h.year}")
    text = letter.get_data(as_text=True)
    assert "Thüringer Ehrenamtscard" in text and "Clara Auerbach" in text and "Geburtsjahr" in text
    printed = client.get(f"/zentren/anger/anerkennung/zertifikate/{cert.id}").get_data(as_text=True)
    assert "Erste Hilfe am Kind" in printed and "Lesepatin" in printed
    # A certificate of another centre is not found from this one.
    assert client.get(f"/zentren/bruehl/anerkennung/zertifikate/{cert.id}").status_code in (
        403,
        404,
    )


def test_the_data_download_and_erasure_cover_recognition(h):
    from volunteer_app.erasure.services import erase_account
    from volunteer_app.privacy.queries import personal_data

    person = make_user()
    h.on(h.reading, dt.date(h.year - 1, 6, 1), person, 2)
    h.on(h.reading, dt.date(h.year, 6, 1), person, 2)
    services.set_birth_year(1990, actor=person)
    cert = _sign(h, person)
    services.record_card(
        h.a, person, kind="juleica", number="J-7", expires_on=today(), actor=h.coordinator
    )
    data = personal_data(person, now=utcnow())["recognition"]
    assert data["birth_year"] == 1990
    assert data["certificates"][0]["function"] == "Lesepatin"
    assert data["cards"][0]["number"] == "J-7"
    make_coordinator(h.a)  # the last coordinator of a centre cannot go
    erase_account(h.coordinator)
    assert EhrenamtsZertifikat.get_by_id(cert.id).signed_by_name != "Clara Auerbach"
    erase_account(person)
    assert BirthYear.select().count() == CardHolding.select().count() == 0
    assert EhrenamtsZertifikat.select().count() == 0


def test_a_card_is_deleted_by_its_berlin_expiry_day_also_late_in_the_evening(h):
    """A card's expiry is a day in Berlin; at 23:30 UTC in winter Berlin is already on the next
    day, and the year after expiry is counted from there (not from UTC's date, a day behind)."""
    person = make_user(name="Lena Abend")
    CardHolding.create(volunteer=person, centre=h.a, kind="juleica", expires_on=dt.date(2025, 1, 5))
    late = dt.datetime(2026, 1, 5, 23, 30)  # UTC; in Berlin 6 January, 00:30
    assert services.delete_expired_cards(late - dt.timedelta(days=1)) == 0  # Berlin: 5 January
    assert services.delete_expired_cards(late) == 1
