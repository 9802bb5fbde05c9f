"""The written plan (Helferplan): the pure builder, the week read through the real services
(assignments, approvals, own sign-ups, a cancellation), the page in both languages, its
permissions and its query count, and the activity form's "at home" box."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_activity, make_centre, make_coordinator, make_slot, make_user
from tests.factories_centres import count_queries, english
from tests.factories_helferplan import Week, at
from volunteer_app.activities.models import Activity
from volunteer_app.centres.queries import today
from volunteer_app.common.time import berlin_to_utc
from volunteer_app.reports import plan
from volunteer_app.reports.queries import helferplan
from volunteer_app.signups import services as signups

pytestmark = pytest.mark.dates  # the week is computed from today: CI reruns it at fixed days

# --- The pure builder (fixed dates: no app, no database) ------------------------------------

MONDAY = dt.date(2027, 3, 22)  # the week of the spring clock change (Sunday 28 March)


def _slot(slot_id, day, hour, title="Vorlesen", **fields) -> plan.PlanSlot:
    start = berlin_to_utc(dt.datetime.combine(day, dt.time(hour)))
    data = {
        "slot_id": slot_id, "starts_at": start, "ends_at": start + dt.timedelta(hours=2),
        "title": title, "category": "Vorlesen", "place": "Leseecke", "at_home": False,
        "responsible": "Clara", "capacity": 2,
    }  # fmt: skip
    return plan.PlanSlot(**{**data, **fields})


def test_builder_orders_days_slots_and_people_and_hides_an_empty_weekend():
    anna = plan.PlanPerson("anna", plan.OWN)
    bert = plan.PlanPerson("Bert", plan.ASSIGNED, "Clara")
    week = plan.build_plan(
        MONDAY,
        [
            _slot(3, MONDAY + dt.timedelta(days=1), 15, "Zucker"),
            _slot(2, MONDAY + dt.timedelta(days=1), 15, "apfel", people=(bert, anna)),
            _slot(1, MONDAY + dt.timedelta(days=1), 9),
            _slot(9, MONDAY + dt.timedelta(days=7), 9),  # next week: left out
        ],
        closed={MONDAY + dt.timedelta(days=4): "Teamtag"},
        holidays={MONDAY: "Testfeiertag"},
    )
    assert [d.day.weekday() for d in week.days] == [0, 1, 2, 3, 4]
    tuesday = week.days[1]
    assert [s.slot_id for s in tuesday.slots] == [1, 2, 3]
    assert [p.name for p in tuesday.slots[1].people] == ["anna", "Bert"]
    assert (week.days[0].holiday, week.days[4].closed, week.days[2].closed) == (
        "Testfeiertag",
        "Teamtag",
        None,
    )
    assert (week.iso_week, week.sunday, week.previous, week.next) == (
        12,
        dt.date(2027, 3, 28),
        dt.date(2027, 3, 15),
        dt.date(2027, 3, 29),
    )
    assert (len(week.slots), week.assignments, week.has_at_home) == (3, 2, False)


def test_builder_puts_slots_on_their_berlin_day_across_the_clock_change():
    sunday = MONDAY + dt.timedelta(days=6)  # 28 March 2027: 2:00 becomes 3:00
    late = _slot(1, sunday, 23)  # 21:00 UTC, still Sunday in Berlin
    early = _slot(2, MONDAY, 0)  # 23:00 UTC on Sunday, already Monday in Berlin
    week = plan.build_plan(MONDAY, [late, early])
    assert early.starts_at.date() == MONDAY - dt.timedelta(days=1)
    assert [s.slot_id for s in week.days[0].slots] == [2]
    assert week.days[-1].day == sunday and [s.slot_id for s in week.days[-1].slots] == [1]
    assert [d.day.weekday() for d in week.days] == [0, 1, 2, 3, 4, 6]  # Saturday left out


def test_builder_counts_open_places_and_leaves_cancelled_dates_out_of_the_figures():
    someone = plan.PlanPerson("Vera", plan.CONFIRMED, "Clara")
    held = _slot(1, MONDAY, 10, people=(someone,), at_home=True)
    gone = _slot(2, MONDAY, 14, cancelled=True, at_home=True)
    week = plan.build_plan(MONDAY, [held, gone])
    assert (held.open_places, gone.open_places) == (1, 0)
    assert (week.held, week.cancelled, week.assignments) == ([held], [gone], 1)
    assert week.has_at_home
    assert not plan.build_plan(MONDAY, [gone]).has_at_home
    with pytest.raises(ValueError):
        plan.build_plan(MONDAY + dt.timedelta(days=1), [])


def test_who_put_a_person_on_a_slot():
    now = dt.datetime(2027, 3, 1, 9)
    args = {"decided_at": now, "signed_up_at": now - dt.timedelta(days=1)}
    assert plan.person_of("V", assigned_by="Clara", decided_by="Clara", **args) == (
        plan.PlanPerson("V", plan.ASSIGNED, "Clara", now)
    )
    assert plan.person_of("V", assigned_by=None, decided_by="Bodo", **args).how == plan.CONFIRMED
    erased = plan.person_of("V", assigned_by=None, decided_by=None, **args)
    assert (erased.how, erased.by, erased.at) == (plan.CONFIRMED_ERASED, "", now)
    own = plan.person_of("V", assigned_by=None, decided_by=None, decided_at=None, signed_up_at=now)
    assert (own.how, own.at) == (plan.OWN, now)


# --- A week read through the services ---------------------------------------------------------


@pytest.fixture
def week(conn):
    return Week()


def test_the_week_as_the_services_left_it(week, app):
    with app.test_request_context(), count_queries() as queries:
        result = helferplan(week.centre, week.monday)
    assert queries.count == 3  # slots, sign-ups, closing days
    assert result.monday == week.monday
    slots = {s.title: s for s in result.slots}
    assert set(slots) == {"Vorlesestunde", "Kuchen backen", "Gartentag"}

    reading = slots["Vorlesestunde"]
    assert [(p.name, p.how, p.by) for p in reading.people] == [
        ("Otto Ohnesorg", plan.OWN, ""),
        ("Vera Vogel", plan.ASSIGNED, "Clara Auerbach"),
    ]
    assert all(p.at is not None for p in reading.people)
    assert (reading.responsible, reading.open_places, reading.cancelled) == (
        "Clara Auerbach",
        1,
        False,
    )

    baking = slots["Kuchen backen"]
    assert baking.at_home and baking.place == ""
    # Only the approved person: a request waiting for approval is not commissioned.
    assert [(p.name, p.how, p.by) for p in baking.people] == [
        ("Paula Pause", plan.CONFIRMED, "Clara Auerbach")
    ]

    garden = slots["Gartentag"]
    assert garden.cancelled and garden.cancelled_at is not None
    assert garden.cancel_reason == "Regen"
    assert garden.people == () and garden.open_places == 0
    assert result.has_at_home
    friday = next(d for d in result.days if d.day == week.monday + dt.timedelta(days=4))
    assert friday.closed == "Teamtag" and friday.slots == []


def test_an_empty_week_is_five_empty_days(conn, app):
    centre = make_centre()
    monday = plan.week_start(today()) + dt.timedelta(days=70)
    with app.test_request_context(), count_queries() as queries:
        result = helferplan(centre, monday)
    assert queries.count == 2  # no slots: no sign-ups to read
    assert [d.day for d in result.days] == [monday + dt.timedelta(days=n) for n in range(5)]
    assert result.slots == []


# --- The page ----------------------------------------------------------------------------------


def _url(week, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/zentren/{week.centre.slug}/helferplan" + (f"?{query}" if query else "")


def test_the_page_in_german(client, login_as, week):
    login_as(week.clara)
    response = client.get(_url(week, woche=(week.monday + dt.timedelta(days=2)).isoformat()))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.count("<h1") == 1
    for text in (
        "Helferplan",
        "ThEKiZ Sonnenschein",
        "Vera Vogel",
        "zugewiesen von Clara Auerbach",
        "bestätigt von Clara Auerbach",
        "Otto Ohnesorg",
        "angemeldet am",
        "Paula Pause",
        "Zu Hause",
        "Abgesagt",
        "Regen",
        "Schließtag: Teamtag",
        "Unterschrift der Leitung des Zentrums",
        "Ort, Datum",
        "1 Platz noch frei",
        "helferplan.css",
        "data-print",
    ):
        assert text in body, text
    for absent in ("Petra Wartend", "Fremdtermin", "Bodo Birkner"):
        assert absent not in body, absent


def test_the_page_in_english_and_the_week_navigation(client, login_as, week):
    english(login_as(week.clara))
    body = client.get(_url(week, woche=week.monday.isoformat())).get_data(as_text=True)
    for text in (
        "assigned by Clara Auerbach",
        "confirmed by Clara Auerbach",
        "signed up on",
        "At home",
        "Cancelled",
        "Closing day: Teamtag",
        "Signature of the centre's management",
        "only when the centre demonstrably commissioned it",
        f"woche={week.monday - dt.timedelta(days=7)}",
        f"woche={week.monday + dt.timedelta(days=7)}",
    ):
        assert text in body, text
    # The week after: none of these dates; the default: this week.
    later = client.get(_url(week, woche=(week.monday + dt.timedelta(days=7)).isoformat()))
    assert "Vera Vogel" not in later.get_data(as_text=True)
    assert "Vorlesestunde" in later.get_data(as_text=True)
    this_week = client.get(_url(week)).get_data(as_text=True)
    assert f'value="{plan.week_start(today()).isoformat()}"' in this_week


@pytest.mark.parametrize("bad", ["gestern", "2026-02-30", "0001-01-01", "9999-12-31"])
def test_a_bad_week_shows_this_week_and_says_so(client, login_as, week, bad):
    english(login_as(week.clara))
    response = client.get(_url(week, woche=bad))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "The week was not valid, so this week is shown." in body
    assert f'value="{plan.week_start(today()).isoformat()}"' in body


def test_only_the_centres_own_coordinators_and_admins(client, login_as, week):
    assert client.get(_url(week)).status_code == 302  # to the login page
    login_as(week.bodo)
    assert client.get(_url(week)).status_code == 403
    login_as(week.vera)
    assert client.get(_url(week)).status_code == 403
    login_as(make_user(role="admin"))
    assert "Vera Vogel" in client.get(_url(week, woche=week.monday)).get_data(as_text=True)
    assert client.get("/zentren/gibt-es-nicht/helferplan").status_code == 404


def test_the_page_reads_the_same_number_of_queries_however_full_the_week(client, login_as, week):
    login_as(week.clara)
    url = _url(week, woche=week.monday.isoformat())
    client.get(url)
    with count_queries() as before:
        client.get(url)
    activity = Activity.get(Activity.title == "Vorlesestunde")
    for n in range(6):
        slot = make_slot(activity, at(week.monday + dt.timedelta(days=n % 5), 16), capacity=2)
        for _ in range(2):
            signups.sign_up(slot.id, actor=make_user())
    with count_queries() as after:
        body = client.get(url).get_data(as_text=True)
    assert body.count('class="slot-row') == 9
    assert after.count == before.count


def test_the_desk_links_to_the_plan(client, login_as, week):
    login_as(week.clara)
    body = client.get(f"/zentren/{week.centre.slug}/planung").get_data(as_text=True)
    assert f'href="/zentren/{week.centre.slug}/helferplan"' in body


# --- The activity form's "at home" box and the certificate ------------------------------------


def test_at_home_is_set_and_cleared_in_the_activity_form(client, login_as, conn):
    centre = make_centre(slug="backstube")
    clara = make_coordinator(centre, name="Clara Auerbach")
    english(login_as(clara))
    form = client.get("/zentren/backstube/angebote/neu").get_data(as_text=True)
    assert 'name="at_home"' in form and "Volunteers do this at home" in form
    data = {
        "title": "Plätzchen backen",
        "category_id": str(Activity.category.rel_model.get(key="baking").id),
        "place": "Zu Hause",
        "responsible_id": str(clara.id),
        "signup_mode": "open",
        "cancel_deadline_hours": "24",
        "volunteers_needed": "2",
        "at_home": "y",
    }
    response = client.post("/zentren/backstube/angebote/neu", data=data)
    assert response.status_code == 302
    activity = Activity.get(Activity.title == "Plätzchen backen")
    assert activity.at_home
    shown = client.get(f"/zentren/backstube/angebote/{activity.id}").get_data(as_text=True)
    assert "at the volunteer's home" in shown
    del data["at_home"]
    client.post(f"/zentren/backstube/angebote/{activity.id}/bearbeiten", data=data)
    assert not Activity.get_by_id(activity.id).at_home


def test_the_certificate_refers_to_the_written_plan(client, login_as, conn):
    from tests.factories_wishes import attended, slot_on
    from volunteer_app.reports import services as reports

    centre = make_centre(slug="nachweis")
    clara = make_coordinator(centre, name="Clara Auerbach")
    vera = make_user(name="Vera Vogel")
    slot = slot_on(make_activity(centre), today() - dt.timedelta(days=3))
    attended(slot, vera, 2)
    cert = reports.request_certificate(
        centre, today() - dt.timedelta(days=5), today() - dt.timedelta(days=1), actor=vera
    )
    login_as(clara)
    english(client)
    page = client.get(f"/zentren/nachweis/nachweise/{cert.id}").get_data(as_text=True)
    assert "written plan (Helferplan)" in page
    client.post(
        f"/zentren/nachweis/nachweise/{cert.id}",
        data={"signer_name": "Clara Auerbach", "signed_on": today().isoformat()},
    )
    signed = client.get(f"/zentren/nachweis/nachweise/{cert.id}").get_data(as_text=True)
    assert "nach dessen schriftlichem Helferplan" in signed
