"""The slot list as written out for speed (issue 16): its cards read exactly as the former
per-card macros wrote them, in every language; its filters' options are WTForms' own; "fits
me" finds the same dates as the weekly windows say, across midnight and clock changes; and
the page runs a fixed, small number of queries."""

from __future__ import annotations

import datetime as dt
import re
import time

import peewee as pw
import pytest
from flask import render_template_string
from flask_babel import force_locale
from wtforms import SelectField
from wtforms.validators import Optional

from tests.factories import builtin, make_category, make_centre, make_user
from tests.factories_centres import count_queries
from tests.factories_signups import (
    as_user,
    invariant_after_each_test,  # noqa: F401 (autouse fixture)
    make_activity,
    make_signup,
    make_slot,
)
from volunteer_app.activities import services as activity_services
from volunteer_app.activities.models import ActivityText, Slot
from volunteer_app.activities.queries import category_label, slots_with_activity
from volunteer_app.activities.texts import page_texts
from volunteer_app.centres import services as centre_services
from volunteer_app.centres.queries import today
from volunteer_app.common import kept as kept_module
from volunteer_app.common.forms import AppForm
from volunteer_app.common.time import BERLIN, UTC
from volunteer_app.db import db, is_sqlite, utcnow
from volunteer_app.signups import queries
from volunteer_app.signups.forms import SlotFilterForm
from volunteer_app.signups.models import Signup
from volunteer_app.volunteers.models import (
    AvailabilityWindow,
    Interest,
    ReachableCentre,
    VolunteerProfile,
)

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

LANGUAGES = ("de", "en", "uk", "ar", "ru", "pl", "ro", "fa_AF")


def _utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN)
    return local.astimezone(UTC).replace(tzinfo=None)


def _days_with_offset(hours: int) -> list[dt.date]:
    """Days of the coming year on which Berlin is ``hours`` ahead of UTC at noon."""
    start = today() + dt.timedelta(days=2)
    days = [start + dt.timedelta(days=n) for n in range(360)]
    return [
        d
        for d in days
        if dt.datetime.combine(d, dt.time(12), tzinfo=BERLIN).utcoffset()
        == dt.timedelta(hours=hours)
    ]


def _squeeze(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


def _cards(html: str) -> list[str]:
    return [_squeeze(c) for c in re.findall(r'<li class="card slot-item">.*?</li>', html, re.S)]


# The cards as browse.html wrote them before issue 16: the reference.
FORMER_CARDS = """{% import "signups/_macros.html" as m %}
{%- set slot_url = url_pattern("signups.show_slot", "slot_id") %}
{% for slot in slots %}
      <li class="card slot-item">
        {% set shown = activity_text(slot.activity, texts) %}
        <h3><a href="{{ slot_url(slot.id) }}"{{ shown.title_attrs }}>{{ shown.title }}</a></h3>
        <p class="when"><time datetime="{{ slot.starts_at.isoformat() }}Z">{{ _("%(date)s, %(times)s", date=slot.starts_at|date("full"), times=_("%(start)s to %(end)s", start=slot.starts_at|time, end=slot.ends_at|time)) }}</time></p>
        <p class="muted">{{ slot.category_label }} · {{ foreign(slot.activity.centre.name ~ ", " ~ slot.activity.centre.town) }}{% if slot.activity.place %} · {{ foreign(slot.activity.place) }}{% endif %}</p>
        <p class="badges">
          {{ m.seats(slot) }}
          {% if slot.activity.signup_mode == "approval" %}<span class="badge">{{ _("Needs approval") }}</span>{% endif %}
          {% if slot.activity.is_child_facing %}<span class="badge">{{ _("Police certificate needed") }}</span>{% endif %}
          {{ m.status_badge(slot.my_status) }}
        </p>
      </li>
{% endfor %}"""


def _former_rows(viewer) -> list[Slot]:
    """The open slots as the former query read them (model rows, by start)."""
    waiting, mine = Signup.alias(), Signup.alias()
    rows = list(
        slots_with_activity()
        .select_extend(
            waiting.select(pw.fn.COUNT(waiting.id))
            .where((waiting.slot == Slot.id) & (waiting.status == "waitlisted"))
            .alias("waitlisted"),
            mine.select(mine.status)
            .where((mine.slot == Slot.id) & (mine.volunteer == viewer.id))
            .alias("my_status"),
        )
        .where((Slot.status == "scheduled") & (Slot.starts_at > utcnow()))
        .order_by(Slot.starts_at, Slot.id)
    )
    for slot in rows:
        slot.waitlisted = slot.waitlisted or 0
        slot.category_label = category_label(slot.activity.category)
    return rows


@pytest.fixture
def many_kinds(conn):
    """Open dates of every kind a card shows, a volunteer with a sign-up of every status,
    texts in some languages, dates in summer and in winter time."""
    centre = make_centre(name="Familienzentrum <Am Anger> & Co", town="Erfurt")
    other = make_centre(name="ThEKiZ Weimar", town="Weimar")
    own = make_category(centre, name="Töpfern & Co")
    volunteer = make_user(locale="en")
    plain = make_activity(centre, title="Gartentag", place="")
    approval = make_activity(centre, title='Backen <mit> "Kindern"', signup_mode="approval")
    children = make_activity(other, title="Vorlesen", is_child_facing=True, category=own)
    both = make_activity(other, title="Wandern", signup_mode="approval", is_child_facing=True)
    ActivityText.create(activity=plain, language="uk", title="День у саду", description="")
    ActivityText.create(activity=approval, language="ar", title="خبز مع الأطفال", description="")
    ActivityText.create(activity=children, language="en", title="", description="Only text")
    summer, winter = _days_with_offset(2)[0], _days_with_offset(1)[0]
    slots = []
    for n, (activity, day, hour) in enumerate(
        [
            (plain, summer, 9),
            (approval, summer, 9),
            (children, winter, 18),
            (both, winter, 23),
            (plain, winter, 0),
            (approval, summer, 14),
            (children, summer, 14),
            (both, winter, 7),
        ]
    ):
        start = _utc(day, hour, 30 * (n % 2))
        slots.append(
            make_slot(activity, starts_at=start, ends_at=start + dt.timedelta(hours=2), capacity=2)
        )
    # Full with two waiting, full with nobody waiting, one place left.
    for slot in slots[1:3]:
        make_signup(slot, make_user())
        make_signup(slot, make_user())
    make_signup(slots[1], make_user(), status="waitlisted")
    make_signup(slots[1], make_user(), status="waitlisted")
    make_signup(slots[3], make_user())
    make_signup(slots[6], make_user())
    for slot, status in zip(
        slots[3:], ("confirmed", "pending", "waitlisted", "declined", "cancelled"), strict=True
    ):
        make_signup(slot, volunteer, status=status)
    return volunteer, slots


@pytest.mark.parametrize("code", LANGUAGES)
def test_cards_read_as_the_former_macros_wrote_them(app, client, login_as, many_kinds, code):
    volunteer, slots = many_kinds
    as_user(login_as, volunteer)
    page = client.get("/termine/", query_string={"lang": code}).get_data(as_text=True)
    with app.test_request_context(f"/termine/?lang={code}"):
        rows = _former_rows(volunteer)
        former = render_template_string(
            FORMER_CARDS, slots=rows, texts=page_texts(s.activity.id for s in rows)
        )
    assert len(rows) == len(slots)
    assert _cards(page) == _cards(former)


def test_the_former_reference_sees_what_the_page_should(app, client, login_as, many_kinds):
    # The reference itself shows each kind: seats, statuses, marks and texts.
    volunteer, _slots = many_kinds
    as_user(login_as, volunteer)
    english = _squeeze(client.get("/termine/?lang=en").get_data(as_text=True))
    for words in (
        "2 places free",
        "1 place free",
        "Full · 2 people on the waitlist",
        "Full · waitlist open",
        "Needs approval",
        "Police certificate needed",
        "You are signed up",
        "Waiting for approval",
        "On the waitlist",
        "Declined",
        "Cancelled",
        '<bdi lang="de">Familienzentrum &lt;Am Anger&gt; &amp; Co, Erfurt</bdi>',
        'lang="de">Backen &lt;mit&gt; &#34;Kindern&#34;</a>',
        "Töpfern &amp; Co",
    ):
        assert words in english, words
    ukrainian = client.get("/termine/?lang=uk").get_data(as_text=True)
    assert ">День у саду</a>" in ukrainian
    arabic = client.get("/termine/?lang=ar").get_data(as_text=True)
    assert '<bdi lang="de" dir="ltr">' in arabic and ">خبز مع الأطفال</a>" in arabic


# --- Queries ---------------------------------------------------------------------------------


def _fits_world(volunteer, centre):
    VolunteerProfile.create(user=volunteer)
    Interest.create(user=volunteer, category=builtin("gardening"))
    ReachableCentre.create(user=volunteer, centre=centre)
    for weekday in range(7):
        AvailabilityWindow.create(
            user=volunteer, weekday=weekday, start_time=dt.time(8), end_time=dt.time(20)
        )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # The user and the slots with their texts (the filters' choices are kept: read on
        # the first visit, one UNION, ``test_the_filters_show_new_centres_and_categories…``).
        ("/termine/", 2),
        ("/termine/?lang=uk", 2),
        ("/termine/?lang=ar&centre={centre}&seite=2", 2),
        # And the volunteer's preferences (one UNION).
        ("/termine/?fits_me=y", 3),
        ("/termine/?fits_me=y&lang=fa-AF&date_from={day}&date_to={day}", 3),
    ],
)
def test_the_slot_list_runs_a_fixed_number_of_queries(client, login_as, conn, url, expected):
    centre = make_centre()
    volunteer = make_user(locale="en")
    _fits_world(volunteer, centre)
    as_user(login_as, volunteer)
    url = url.format(centre=centre.id, day=today() + dt.timedelta(days=3))
    counts = []
    for n in (3, 40):
        for i in range(n):
            activity = make_activity(centre, title=f"Angebot {n}-{i}")
            ActivityText.create(activity=activity, language="uk", title=f"Захід {i}")
            make_slot(activity, hours_ahead=24 + i)
        client.get(url)  # the first visit fills the caches of the filters and windows
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts == [expected, expected], counts


@pytest.mark.parametrize("url", ["/termine/", "/termine/?fits_me=y"])
def test_on_postgresql_the_slot_list_is_planned_once_per_connection(client, login_as, conn, url):
    """Whatever the number of preferred centres, categories and windows, the slot list's
    statement is one text (arrays), prepared on the server once and run with a generic plan
    (planning it cost the server more than running it)."""
    centre, other = make_centre(), make_centre()
    volunteer = make_user(locale="en")
    _fits_world(volunteer, centre)
    as_user(login_as, volunteer)
    ten = dt.datetime.combine(today() + dt.timedelta(days=2), dt.time(10), tzinfo=BERLIN)
    make_slot(make_activity(centre), starts_at=ten.astimezone(UTC).replace(tzinfo=None))
    client.get(url)
    ReachableCentre.create(user=volunteer, centre=other)  # one more value for the list
    with count_queries() as counter:
        html = client.get(url).get_data(as_text=True)
    assert 'class="card slot-item"' in html
    browse = [q for q in counter.queries if '"t1"."starts_at"' in q or "EXECUTE statement_" in q]
    assert len(browse) == 1
    if is_sqlite():  # SQLite keeps its compiled statements itself
        assert "EXECUTE" not in browse[0]
        return
    assert browse[0].startswith("('EXECUTE statement_"), browse[0][:80]
    plans = db.execute_sql(
        "SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements"
        " WHERE name LIKE %s",
        ("statement_%",),
    ).fetchone()
    assert plans[0] >= 2 and plans[1] == 0, plans


def test_fit_profile_reads_the_preferences_in_one_query(conn):
    volunteer, centre = make_user(), make_centre()
    with count_queries() as counter:
        assert queries.fit_profile(volunteer) == queries.FitProfile(None, None, ())
    assert counter.count == 1
    Interest.create(user=volunteer, category=builtin("gardening"))
    Interest.create(user=volunteer, category=builtin("baking"))
    ReachableCentre.create(user=volunteer, centre=centre)
    AvailabilityWindow.create(
        user=volunteer, weekday=4, start_time=dt.time(22), end_time=dt.time(2)
    )
    AvailabilityWindow.create(
        user=volunteer, weekday=1, start_time=dt.time(14, 30), end_time=dt.time(18)
    )
    AvailabilityWindow.create(user=volunteer, weekday=1, start_time=dt.time(8), end_time=dt.time(9))
    found = queries.fit_profile(volunteer)
    assert found.category_ids == {builtin("gardening").id, builtin("baking").id}
    assert found.centre_ids == {centre.id}
    assert found.windows == (
        (1, dt.time(8), dt.time(9)),
        (1, dt.time(14, 30), dt.time(18)),
        (4, dt.time(22), dt.time(2)),
    )
    # Without a profile row, or not open to anything, the interests limit; open, they do not.
    VolunteerProfile.create(user=volunteer, open_to_anything=False)
    assert queries.fit_profile(volunteer).category_ids == found.category_ids
    VolunteerProfile.update(open_to_anything=True).execute()
    assert queries.fit_profile(volunteer).category_ids is None


def _sundays_with_clock_change() -> list[dt.date]:
    """The days of the next 300 with a clock change (at least one: they are at most 217
    days apart)."""
    start = today() + dt.timedelta(days=1)
    days = [start + dt.timedelta(days=n) for n in range(300)]

    def offset(d, hour):
        return dt.datetime.combine(d, dt.time(hour), tzinfo=BERLIN).utcoffset()

    return [d for d in days if offset(d, 0) != offset(d, 12)]


def test_fits_me_finds_the_dates_inside_the_windows_across_midnight_and_clock_changes(
    client, login_as, conn
):
    centre = make_centre()
    activity = make_activity(centre)
    volunteer = make_user(locale="en")
    VolunteerProfile.create(user=volunteer)
    windows = [
        (6, dt.time(1), dt.time(4)),  # Sunday night, over the clock changes
        (5, dt.time(22), dt.time(2)),  # Saturday late until Sunday 02:00
        (2, dt.time(23, 30), dt.time(0, 30)),  # around midnight
        (3, dt.time(9), dt.time(12)),
    ]
    for weekday, start, end in windows:
        AvailabilityWindow.create(user=volunteer, weekday=weekday, start_time=start, end_time=end)
    sundays = _sundays_with_clock_change()
    assert sundays
    days = set()
    for sunday in sundays:
        days |= {sunday, sunday - dt.timedelta(days=1)}
    wednesday = next(
        d for d in (sundays[0] + dt.timedelta(days=n) for n in range(3, 10)) if d.weekday() == 2
    )
    days |= {wednesday, wednesday + dt.timedelta(days=1)}
    # Slots every hour, one or two hours long, on those days.
    for day in sorted(days):
        for half in range(0, 48, 2):
            start = dt.datetime.combine(day, dt.time(), tzinfo=BERLIN).astimezone(UTC)
            start = start.replace(tzinfo=None) + dt.timedelta(minutes=30 * half)
            for hours in (1, 2):
                make_slot(activity, starts_at=start, ends_at=start + dt.timedelta(hours=hours))
    first = today()  # as the list: Berlin's day, a year of windows
    intervals = queries.availability_intervals(windows, first, first + dt.timedelta(days=366))
    now = utcnow()
    expected = [
        s.id
        for s in Slot.select().order_by(Slot.starts_at, Slot.id)
        if s.starts_at > now and any(a <= s.starts_at and s.ends_at <= b for a, b in intervals)
    ]
    assert 5 < len(expected) < Slot.select().count()
    as_user(login_as, volunteer)
    found, page = [], 1
    while True:
        html = client.get(f"/termine/?fits_me=y&seite={page}").get_data(as_text=True)
        found += [int(i) for i in re.findall(r'<h3><a href="/termine/(\d+)"', html)]
        if "Later dates" not in html:
            break
        page += 1
    assert found == expected


# --- The filters -----------------------------------------------------------------------------


class _PlainFilters(AppForm):
    """The filters' two selects as plain WTForms fields: the reference."""

    class Meta:
        csrf = False

    centre = SelectField("Centre", choices=[], validators=[Optional()])
    category = SelectField("Kind", choices=[], validators=[Optional()])


@pytest.mark.parametrize(
    "query", ["", "centre=", "centre={centre}&category={category}", "centre=abc&category=99999"]
)
@pytest.mark.parametrize("code", ["de", "en", "ar"])
def test_the_filters_options_are_those_wtforms_renders(app, conn, query, code):
    centre = make_centre(name='Zentrum <B> & "C"', town="Jena")
    make_centre(name="Anderes Zentrum", town="Gera")
    category = make_category(centre, name="Eigene & Art")
    query = query.format(centre=centre.id, category=category.id)
    with app.test_request_context(f"/termine/?{query}&lang={code}"):
        from flask import request

        with force_locale(code):
            choices = queries.filter_choices()
            form = SlotFilterForm(request.args, choices=choices)
            plain = _PlainFilters(request.args)
            plain.centre.choices = form.centre.choices
            plain.category.choices = form.category.choices
            assert form.validate() is plain.validate()
            assert form.centre.errors == plain.centre.errors
            assert form.category.errors == plain.category.errors
            for field, reference in ((form.centre, plain.centre), (form.category, plain.category)):
                assert str(field(**{"aria-invalid": "true"})) == str(
                    reference(**{"aria-invalid": "true"})
                )
                assert str(field()) == str(reference())


def test_the_filters_show_new_centres_and_categories_at_once(client, login_as, conn):
    """Added through the services (as every page adds them): this process shows them at
    once, though it keeps the filters' choices between visits."""
    volunteer, admin = make_user(locale="en"), make_user(role="admin")
    as_user(login_as, volunteer)
    client.get("/termine/")
    centre = centre_services.create_centre(
        {"name": "Ganz neues Zentrum", "town": "Suhl"}, actor=admin
    )
    category = activity_services.add_category(centre, "Neue Art", actor=admin)
    html = client.get(f"/termine/?centre={centre.id}&category={category.id}").get_data(as_text=True)
    assert f'<option selected value="{centre.id}">Ganz neues Zentrum (Suhl)</option>' in html
    assert f'<option selected value="{category.id}">Neue Art (Ganz neues Zentrum)</option>' in html
    assert "Please choose one of the options." not in html
    centre_services.update_centre(centre, {"name": "Umbenanntes Zentrum"}, actor=admin)
    html = client.get(f"/termine/?centre={centre.id}").get_data(as_text=True)
    assert f'<option selected value="{centre.id}">Umbenanntes Zentrum (Suhl)</option>' in html


def test_centres_added_by_another_process_show_within_the_kept_seconds(
    client, login_as, conn, monkeypatch
):
    """Another app process (another gunicorn worker) added the centre: this one reads the
    choices anew once its copy is ``CHOICES_KEPT_SECONDS`` old."""
    volunteer = make_user(locale="en")
    as_user(login_as, volunteer)
    client.get("/termine/")
    centre = make_centre(name="Anderswo angelegt", town="Gera")  # not through this process
    option = f'<option value="{centre.id}">Anderswo angelegt (Gera)</option>'
    assert option not in client.get("/termine/").get_data(as_text=True)
    later = time.monotonic() + queries.CHOICES_KEPT_SECONDS
    monkeypatch.setattr(kept_module.time, "monotonic", lambda: later)
    assert option in client.get("/termine/").get_data(as_text=True)


def test_the_filters_speak_the_pages_language(client, login_as, conn):
    volunteer = make_user(locale="en")
    as_user(login_as, volunteer)
    german = client.get("/termine/?lang=de&centre=abc").get_data(as_text=True)
    assert '<option value="">Alle Zentren</option>' in german
    assert "Bitte wählen Sie eine der Möglichkeiten." in german
    english = client.get("/termine/?lang=en&centre=abc").get_data(as_text=True)
    assert '<option value="">All centres</option>' in english
    assert "Please choose one of the options." in english
    # The same query again (kept): the same filters.
    again = client.get("/termine/?lang=en&centre=abc").get_data(as_text=True)
    assert _filters(again) == _filters(english)
    assert _filters(english) != _filters(client.get("/termine/?lang=en").get_data(as_text=True))


def _filters(html: str) -> str:
    return re.search(r'<form method="get".*?</form>', html, re.S).group(0)


def test_fits_me_with_windows_outside_the_period_lists_nothing(client, login_as, conn):
    centre = make_centre()
    volunteer = make_user(locale="en")
    VolunteerProfile.create(user=volunteer)
    AvailabilityWindow.create(
        user=volunteer, weekday=0, start_time=dt.time(8), end_time=dt.time(20)
    )
    tuesday = next(
        today() + dt.timedelta(days=n)
        for n in range(2, 9)
        if (today() + dt.timedelta(days=n)).weekday() == 1
    )
    make_slot(make_activity(centre, title="Dienstag"), starts_at=_utc(tuesday, 10))
    as_user(login_as, volunteer)
    listed = client.get(f"/termine/?date_from={tuesday}&date_to={tuesday}").get_data(as_text=True)
    assert ">Dienstag</a>" in listed
    fits = client.get(f"/termine/?fits_me=y&date_from={tuesday}&date_to={tuesday}")
    html = fits.get_data(as_text=True)
    assert ">Dienstag</a>" not in html
    assert "No open dates match your choice." in html
