"""Allowances: payments per volunteer, yearly sums per operator across its centres, the
warning before the tax-free limit, limits by year, cancelling and correcting with an audit
entry, the statement, privacy (export, erasure, retention) and who may do what."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from tests.factories import make_centre, make_coordinator, make_operator, make_user
from tests.factories_centres import count_queries, english
from volunteer_app.allowances import queries, services
from volunteer_app.allowances.forms import parse_cents
from volunteer_app.allowances.limits import limit_cents
from volunteer_app.allowances.models import AllowancePayment
from volunteer_app.audit.models import AuditEntry
from volunteer_app.centres.queries import today
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.db import utcnow
from volunteer_app.volunteers.models import ReachableCentre

pytestmark = pytest.mark.dates  # "this year" and "last year" come from today


class World:
    """Operator Ahorn with centres A1 and A2, operator Birke with centre B; one volunteer
    who chose all three, and each centre's coordinator."""

    def __init__(self):
        self.ahorn = make_operator(name="Träger Ahorn")
        self.birke = make_operator(name="Träger Birke")
        self.a1 = make_centre(name="Zentrum A1", slug="zentrum-a1", operator=self.ahorn)
        self.a2 = make_centre(name="Zentrum A2", slug="zentrum-a2", operator=self.ahorn)
        self.b = make_centre(name="Zentrum B", slug="zentrum-b", operator=self.birke)
        self.coord_a1 = make_coordinator(self.a1, name="Clara Eins")
        self.coord_a2 = make_coordinator(self.a2, name="Carl Zwei")
        self.coord_b = make_coordinator(self.b, name="Bodo Birke")
        self.vera = make_user(name="Vera Vogel")
        self.other = make_user(name="Otto Anders")
        for centre in (self.a1, self.a2, self.b):
            ReachableCentre.create(user=self.vera, centre=centre)
        ReachableCentre.create(user=self.other, centre=self.a1)

    def pay(self, centre, euros, day=None, kind="ehrenamt", person=None, **kw):
        coordinator = {
            self.a1.id: self.coord_a1,
            self.a2.id: self.coord_a2,
            self.b.id: self.coord_b,
        }[centre.id]
        return services.record_payment(
            centre, (person or self.vera).id, paid_on=day or today(), kind=kind,
            amount_cents=int(Decimal(str(euros)) * 100), actor=coordinator, **kw,
        )  # fmt: skip


@pytest.fixture
def w(conn):
    return World()


def _url(w, centre=None, suffix=""):
    return f"/zentren/{(centre or w.a1).slug}/ehrenamtliche/{w.vera.id}/pauschalen{suffix}"


# --- Sums ----------------------------------------------------------------------------------


def test_sums_cover_every_centre_of_the_operator_and_no_other_operator(w):
    w.pay(w.a1, 100)
    w.pay(w.a2, "50.50")
    w.pay(w.a2, 30, kind="uebungsleiter")
    w.pay(w.b, 700)  # another payer: its own sums
    year = today().year
    assert queries.year_totals(w.vera.id, w.ahorn.id, year) == {
        "ehrenamt": Decimal("150.50"),
        "uebungsleiter": Decimal("30.00"),
    }
    assert queries.year_totals(w.vera.id, w.birke.id, year) == {
        "ehrenamt": Decimal("700.00"),
        "uebungsleiter": Decimal("0.00"),
    }
    assert queries.year_totals(w.other.id, w.ahorn.id, year)["ehrenamt"] == Decimal("0.00")


def test_the_year_boundary_splits_the_sums(w):
    this_year = today().year
    new_year = dt.date(this_year, 1, 1)  # never in the future
    w.pay(w.a1, 80, day=new_year - dt.timedelta(days=1))  # 31 December of last year
    w.pay(w.a2, 20, day=new_year)
    assert queries.year_totals(w.vera.id, w.ahorn.id, this_year - 1)["ehrenamt"] == Decimal("80")
    assert queries.year_totals(w.vera.id, w.ahorn.id, this_year)["ehrenamt"] == Decimal("20")


def test_limits_by_the_year_they_apply_from():
    assert limit_cents("ehrenamt", 2020) == 720_00
    assert limit_cents("ehrenamt", 2025) == 840_00
    assert limit_cents("ehrenamt", 2026) == 960_00
    assert limit_cents("ehrenamt", 2031) == 960_00
    assert limit_cents("uebungsleiter", 2025) == 3_000_00
    assert limit_cents("uebungsleiter", 2026) == 3_300_00


def test_a_payment_over_the_limit_needs_a_confirmation(w, app):
    year = today().year
    limit = limit_cents("ehrenamt", year)
    w.pay(w.a1, Decimal(limit - 40_00) / 100)  # 40 € left with Ahorn
    w.pay(w.b, 500)  # Birke's payments do not count for Ahorn
    with app.test_request_context(), pytest.raises(services.OverLimit) as refused:
        w.pay(w.a2, 50)
    assert refused.value.field == "accept_over_limit"
    assert "10,00" in refused.value.message  # the part above the limit
    assert AllowancePayment.select().count() == 2
    w.pay(w.a2, 40)  # exactly the limit: fine
    w.pay(w.a2, 10, accept_over_limit=True)
    assert (
        queries.year_totals(w.vera.id, w.ahorn.id, year)["ehrenamt"] == Decimal(limit + 10_00) / 100
    )


def test_last_years_payment_counts_against_last_years_limit(w, app):
    year = today().year - 1
    day = dt.date(year, 12, 31)
    limit = limit_cents("uebungsleiter", year)
    w.pay(w.a1, Decimal(limit) / 100, day=day, kind="uebungsleiter")
    with app.test_request_context(), pytest.raises(services.OverLimit):
        w.pay(w.a1, 1, day=day, kind="uebungsleiter")
    w.pay(w.a1, 1, day=dt.date(year + 1, 1, 1), kind="uebungsleiter")  # a new year


# --- Input and authorization ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("40", 4000), ("40,5", 4050), ("40,50", 4050), ("40.50", 4050), ("1.200,00", 120000),
     ("1200 €", 120000), ("", None), ("12,345", None), ("-5", None), ("=1+1", None)],
)  # fmt: skip
def test_amounts_as_people_type_them(typed, cents):
    assert parse_cents(typed) == cents


def test_bad_input_is_refused_with_the_field_named(w, app):
    with app.test_request_context():
        for kwargs, field in (
            ({"day": today() + dt.timedelta(days=1)}, "paid_on"),
            ({"day": dt.date(today().year - 11, 6, 1)}, "paid_on"),
            ({"kind": "bar"}, "kind"),
        ):
            with pytest.raises(DomainError) as refused:
                w.pay(w.a1, 10, **kwargs)
            assert refused.value.field == field
        with pytest.raises(DomainError) as refused:
            w.pay(w.a1, 0)
        assert refused.value.field == "amount"
    assert AllowancePayment.select().count() == 0


def test_only_the_centres_coordinators_record_for_people_they_see(w, app):
    stranger = make_user(name="Susi Fremd")  # chose no centre of theirs
    with app.test_request_context():
        with pytest.raises(NotAllowed):
            services.record_payment(
                w.a1, w.vera.id, paid_on=today(), kind="ehrenamt", amount_cents=100,
                actor=w.coord_b,
            )  # fmt: skip
        with pytest.raises(NotAllowed):
            services.record_payment(
                w.a1, w.vera.id, paid_on=today(), kind="ehrenamt", amount_cents=100,
                actor=w.vera,
            )  # fmt: skip
        with pytest.raises(NotFound):
            w.pay(w.a1, 10, person=stranger)
        lonely = make_centre(name="Ohne Träger")
        with pytest.raises(Conflict):
            services.record_payment(
                lonely, w.vera.id, paid_on=today(), kind="ehrenamt", amount_cents=100,
                actor=make_coordinator(lonely),
            )  # fmt: skip
    assert AllowancePayment.select().count() == 0


def test_pages_are_for_the_centres_coordinators_only(w, client, login_as):
    w.pay(w.a1, 10)
    for user, status in ((w.coord_a1, 200), (w.coord_b, 403), (w.vera, 403)):
        login_as(user)
        assert client.get(_url(w)).status_code == status
        year = today().year
        assert client.get(_url(w, suffix=f"/{year}/bescheinigung")).status_code == status
    login_as(w.other)
    assert client.get(f"/mein-engagement/pauschalen/{w.ahorn.id}/{today().year}").status_code == 404


# --- Cancelling and correcting -----------------------------------------------------------


def test_cancel_and_correct_keep_the_rows_and_write_the_log(w, app):
    first = w.pay(w.a1, 100)
    second = w.pay(w.a1, 20)
    with app.test_request_context():
        services.cancel_payment(w.a1, first.id, w.vera.id, reason="doppelt", actor=w.coord_a1)
        with pytest.raises(Conflict):
            services.cancel_payment(w.a1, first.id, w.vera.id, reason="x", actor=w.coord_a1)
        with pytest.raises(NotFound):  # recorded at A1: A2's coordinator cannot touch it
            services.cancel_payment(w.a2, second.id, w.vera.id, reason="x", actor=w.coord_a2)
        with pytest.raises(DomainError) as refused:
            services.cancel_payment(w.a1, second.id, w.vera.id, reason=" ", actor=w.coord_a1)
        assert refused.value.field == "reason"
        new = services.correct_payment(
            w.a1, second.id, w.vera.id, paid_on=today(), kind="ehrenamt", amount_cents=25_00,
            reason="Tippfehler", actor=w.coord_a1,
        )  # fmt: skip
    assert AllowancePayment.select().count() == 3
    assert new.corrects_id == second.id and new.payee_ref == first.payee_ref
    old = AllowancePayment.get_by_id(second.id)
    assert old.is_cancelled and old.cancel_reason == "Tippfehler"
    assert queries.year_totals(w.vera.id, w.ahorn.id, today().year)["ehrenamt"] == Decimal("25")
    actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert actions == [
        "allowance.recorded",
        "allowance.recorded",
        "allowance.cancelled",
        "allowance.corrected",
    ]


def test_a_correction_may_use_the_room_the_old_payment_took(w, app):
    year = today().year
    limit = limit_cents("ehrenamt", year)
    full = w.pay(w.a1, Decimal(limit) / 100)
    with app.test_request_context():
        services.correct_payment(
            w.a1, full.id, w.vera.id, paid_on=today(), kind="ehrenamt",
            amount_cents=limit - 100, reason="zu viel", actor=w.coord_a1,
        )  # fmt: skip


# --- The pages ------------------------------------------------------------------------------


def test_recording_over_the_limit_asks_first_then_records(w, client, login_as):
    year = today().year
    limit = limit_cents("ehrenamt", year)
    w.pay(w.a2, Decimal(limit - 10_00) / 100)
    english(login_as(w.coord_a1))
    page = client.get(_url(w)).get_data(as_text=True)
    assert "Vera Vogel" in page and "Träger Ahorn" in page
    assert "of which" in page  # A2's payment counts, as a sum
    form = {"paid_on": today().isoformat(), "kind": "ehrenamt", "amount": "25", "note": ""}
    response = client.post(_url(w), data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "accept_over_limit" in page and "15.00" in page
    assert AllowancePayment.select().count() == 1
    response = client.post(_url(w), data={**form, "accept_over_limit": "y"})
    assert response.status_code == 302
    assert AllowancePayment.select().count() == 2
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "above" in page


def test_the_statement_lists_the_year_with_the_legal_note(w, client, login_as):
    w.pay(w.a1, "40,50".replace(",", "."), note="März")
    w.pay(w.a2, 60)
    cancelled = w.pay(w.a1, 99)
    AllowancePayment.update(cancelled_at=utcnow()).where(
        AllowancePayment.id == cancelled.id
    ).execute()
    year = today().year
    login_as(w.coord_a1)
    page = client.get(_url(w, suffix=f"/{year}/bescheinigung")).get_data(as_text=True)
    page = page.replace("\xa0", " ")
    assert "Jahresbescheinigung" in page and "§ 3 Nr. 26a EStG" in page
    assert "40,50 €" in page and "100,50 €" in page  # the total across both centres
    assert "99,00" not in page  # cancelled
    assert "Zentrum A2" not in page  # A1's coordinator sees A2 only as a sum
    assert "andere Zentren des Trägers" in page
    login_as(w.vera)
    own = client.get(f"/mein-engagement/pauschalen/{w.ahorn.id}/{year}").get_data(as_text=True)
    own = own.replace("\xa0", " ")
    assert "Zentrum A2" in own and "100,50 €" in own
    listing = client.get("/mein-engagement/pauschalen").get_data(as_text=True)
    assert "Träger Ahorn" in listing and str(year) in listing


def test_the_page_reads_a_fixed_number_of_queries(w, client, login_as):
    login_as(w.coord_a1)
    w.pay(w.a1, 1)
    client.get(_url(w))
    with count_queries() as few:
        client.get(_url(w))
    for _ in range(15):
        w.pay(w.a1, 1)
        w.pay(w.a2, 1)
    with count_queries() as many:
        client.get(_url(w))
    assert few.count == many.count


# --- Privacy --------------------------------------------------------------------------------


def test_export_erasure_and_retention(w, app, conn):
    from volunteer_app.erasure.services import erase_account
    from volunteer_app.retention.services import run_retention

    payment = w.pay(w.a1, 40, note="Vera Vogel, Mai")
    rows = queries.export_rows(w.vera.id)
    assert rows[0]["amount_eur"] == "40.00" and rows[0]["reference"] == payment.payee_ref
    erase_account(w.vera)
    kept = AllowancePayment.get_by_id(payment.id)
    assert kept.volunteer_id is None and kept.note == "" and kept.payee_ref == payment.payee_ref
    # Kept for ten years after the end of the year paid in, deleted on the first day after.
    end_of_year = dt.datetime(payment.paid_on.year + 10, 12, 31, 12)
    assert run_retention(now=end_of_year).counts["allowance_payments"] == 0
    new_year = dt.datetime(payment.paid_on.year + 11, 1, 1, 12)
    assert run_retention(now=new_year).counts["allowance_payments"] == 1
    assert AllowancePayment.select().count() == 0
    assert not re.search("Vera", str(list(AuditEntry.select().dicts())))


def test_the_page_names_who_recorded_and_who_cancelled(w, client, login_as, app):
    payment = w.pay(w.a1, 12)
    w.pay(w.a1, 13)
    with app.test_request_context():
        services.cancel_payment(w.a1, payment.id, w.vera.id, reason="doppelt", actor=w.coord_a1)
    rows = queries.person_year(
        w.vera.id, w.ahorn, today().year, shown_centres={w.a1.id}, this_year=today().year
    ).payments
    assert [p.recorder.name for p in rows] == ["Clara Eins", "Clara Eins"]
    assert rows[0].canceller.name == "Clara Eins" and rows[1].canceller is None
    english(login_as(w.coord_a1))
    page = client.get(_url(w)).get_data(as_text=True)
    assert "by Clara Eins: doppelt" in page


def test_a_day_far_off_is_refused_at_the_field(w, client, login_as):
    english(login_as(w.coord_a1))
    for day in ("9999-12-31", "0001-01-01"):
        form = {"paid_on": day, "kind": "ehrenamt", "amount": "5"}
        response = client.post(_url(w), data=form)
        assert response.status_code == 200
        assert 'id="paid_on-error"' in response.get_data(as_text=True)
    assert AllowancePayment.select().count() == 0
