"""Nothing waits unseen: certificate requests and sign-ups awaiting approval reach the
centre's coordinators by mail and on the desk; "confirm all" says first how many people
will be mailed; matching leaves out people whose sign-up for that time awaits approval;
a wish turned into an activity is planned, and realised only with the activity's first
date; the desk's "Activities" tab."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories_centres import count_queries, english
from tests.factories_proposals import (
    make_activity,
    make_centre,
    make_coordinator,
    make_signup,
    make_user,
    make_volunteer,
    next_weekday,
    proposals_of,
    reload,
    slot_on,
)
from tests.factories_wishes import attended, make_wish
from volunteer_app import matching
from volunteer_app.activities import schedules
from volunteer_app.centres.queries import today
from volunteer_app.common.errors import Conflict, DomainError
from volunteer_app.db import utcnow
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.proposals import services as proposals
from volunteer_app.proposals.problem import build_problem
from volunteer_app.reports import services as reports
from volunteer_app.signups import services as signups
from volunteer_app.wishes import services as wishes

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def w(app, conn):
    centre = make_centre(name="Zentrum Linde", slug="linde")
    other = make_centre(name="Zentrum Eiche", slug="eiche")
    return type(
        "W", (), {
            "centre": centre, "other": other,
            "coord": make_coordinator(centre, name="Clara Linde", email="clara@example.org"),
            # Staff mails are German or English, whatever else a coordinator chose.
            "coord2": make_coordinator(centre, name="Dora Linde", email="dora@example.org",
                                       locale="uk"),
            "retired": make_coordinator(centre, email="alt@example.org", is_active=False),
            "coord_b": make_coordinator(other, name="Bruno Eiche", email="bruno@example.org"),
        },
    )  # fmt: skip


def _mails_to(*users) -> list[OutboxMessage]:
    emails = [u.email for u in users]
    return list(
        OutboxMessage.select().where(OutboxMessage.recipient.in_(emails)).order_by(OutboxMessage.id)
    )


def _glance(client, slug: str) -> str:
    body = client.get(f"/zentren/{slug}/planung").get_data(as_text=True)
    return body[
        body.index('class="desk-summary"') : body.index("</ul>", body.index("desk-summary"))
    ]


# --- Certificates of volunteering -----------------------------------------------------------


def test_a_certificate_request_tells_the_centres_coordinators(client, login_as, w):
    volunteer = make_user(name="Vera Vorleserin")
    day = today() - dt.timedelta(days=20)
    attended(slot_on(make_activity(w.centre), day), volunteer, 2)
    cert = reports.request_certificate(w.centre, day, today(), actor=volunteer)

    mails = _mails_to(w.coord, w.coord2, w.retired, w.coord_b)
    assert [m.recipient for m in mails] == [w.coord.email, w.coord2.email]
    assert [m.locale for m in mails] == ["de", "de"]
    assert mails[0].subject == "Ehrenamtsnachweis angefragt: Vera Vorleserin"
    assert f"/zentren/linde/nachweise/{cert.id}" in mails[0].body_text

    # On the desk: counted, with the way to the page where it is signed.
    english(login_as(w.coord))
    glance = _glance(client, "linde")
    assert re.search(
        r'<span class="num">1</span>\s*<a href="/zentren/linde/nachweise">certificate of '
        r"volunteering to sign",
        glance,
    )
    reports.sign_certificate(cert, "Clara Linde", today(), actor=w.coord)
    assert re.search(
        r'<span class="num">0</span>\s*<a href="/zentren/linde/nachweise">',
        _glance(client, "linde"),
    )
    # Another centre's desk knows nothing of it.
    english(login_as(w.coord_b))
    assert '<span class="num">0</span>\n    <a href="/zentren/eiche/nachweise">' in _glance(
        client, "eiche"
    )


def test_a_refused_request_tells_nobody(w):
    volunteer = make_user()
    with pytest.raises(DomainError):
        reports.request_certificate(
            w.centre, today() - dt.timedelta(days=9), today(), actor=volunteer
        )
    assert OutboxMessage.select().count() == 0


# --- Sign-ups awaiting approval ---------------------------------------------------------------


def test_a_pending_sign_up_is_mailed_and_listed_whatever_its_date(client, login_as, w):
    activity = make_activity(w.centre, title="Lesepaten", signup_mode="approval")
    far = slot_on(activity, today() + dt.timedelta(days=40))  # beyond the 14 days shown
    soon = slot_on(activity, today() + dt.timedelta(days=2))
    volunteer = make_user(name="Paul Probe", email="paul@example.org")
    result = signups.sign_up(far.id, actor=volunteer)
    assert result.outcome == "pending"
    staff = _mails_to(w.coord, w.coord2, w.retired, w.coord_b)
    assert [m.recipient for m in staff] == [w.coord.email, w.coord2.email]
    assert staff[0].subject.startswith("Anmeldung zu bestätigen: Paul Probe, Lesepaten am ")
    assert f"/termine/{far.id}/besetzung#pending" in staff[0].body_text
    assert len(_mails_to(volunteer)) == 1  # the volunteer's own "waits for approval"
    make_signup(soon, status="pending")
    make_signup(soon, status="pending")

    english(login_as(w.coord))
    body = client.get("/zentren/linde/planung").get_data(as_text=True)
    glance = body[body.index('class="desk-summary"') : body.index('id="approvals-heading"')]
    assert re.search(
        r'<span class="num">3</span>\s*<a href="#approvals-heading">sign-ups await', glance
    )
    section = body[
        body.index('id="approvals-heading"') : body.index(
            "</section>", body.index('id="approvals-heading"')
        )
    ]
    links = re.findall(r'href="/termine/(\d+)/besetzung#pending">Lesepaten</a>', section)
    assert links == [str(soon.id), str(far.id)]  # soonest first
    assert "2 await approval" in section and "1 awaits approval" in section

    # Approved: no longer waiting. Another centre's coordinator never sees it.
    pending = signups.Signup.get(signups.Signup.volunteer == volunteer.id)
    signups.approve(pending.id, actor=w.coord)
    body = client.get("/zentren/linde/planung").get_data(as_text=True)
    assert f"/termine/{far.id}/besetzung#pending" not in body
    english(login_as(w.coord_b))
    assert 'approvals-heading"' not in client.get("/zentren/eiche/planung").get_data(as_text=True)


def test_the_approval_list_is_one_query_however_long(w):
    from volunteer_app.coordination.queries import awaiting_approval

    activity = make_activity(w.centre, signup_mode="approval")
    for n in range(6):
        make_signup(slot_on(activity, today() + dt.timedelta(days=3 + 9 * n)), status="pending")
    past = slot_on(activity, today() - dt.timedelta(days=2))
    make_signup(past, status="pending")  # has started: nothing to decide any more
    with count_queries() as counter:
        approvals = awaiting_approval(w.centre.id, utcnow())
        titles = [slot.activity.title for slot in approvals.slots]
    assert counter.count == 1 and len(titles) == 6 and approvals.count == 6


# --- "Confirm all" asks first -------------------------------------------------------------------


def test_confirm_all_says_how_many_people_are_mailed_first(client, login_as, w):
    day = next_weekday(1)
    activity = make_activity(w.centre, title="Vorlesestunde", volunteers_needed=2)
    first, second = slot_on(activity, day, hour=10), slot_on(activity, day + dt.timedelta(days=7))
    make_volunteer(w.centre, name="Anna Aurich")
    make_volunteer(w.centre, name="Ben Brandt")
    run = reload(
        proposals.start_run(
            w.centre, operator_wide=False, period_from=day,
            period_to=day + dt.timedelta(days=7), actor=w.coord,
        )
    )  # fmt: skip
    assert len(proposals_of(run)) == 4 and {p.slot_id for p in proposals_of(run)} == {
        first.id,
        second.id,
    }
    english(login_as(w.coord))
    url = f"/vorschlaege/{run.id}/bestaetigen"
    asked = client.post(url, data={"mode": "invite", "scope": "all"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "This sends 4 invitations by e-mail." in page and "2 people will be mailed." in page
    assert "they get one e-mail for each" in page
    assert OutboxMessage.select().count() == 0
    assert {p.status for p in proposals_of(run)} == {"proposed"}
    # The page's button repeats the choice, confirmed.
    assert 'name="confirmed" value="y"' in page and 'name="mode" value="invite"' in page

    direct = client.post(url, data={"mode": "direct", "scope": "all"}).get_data(as_text=True)
    assert "4 proposals become confirmed sign-ups at once." in direct

    done = client.post(url, data={"mode": "invite", "scope": "all", "confirmed": "y"})
    assert done.status_code == 302
    assert {p.status for p in proposals_of(run)} == {"invited"}
    assert OutboxMessage.select().count() == 4
    # Nothing left: no question, just the notice.
    client.post(url, data={"mode": "invite", "scope": "all"})
    assert "There was nothing left to confirm." in client.get(f"/vorschlaege/{run.id}").get_data(
        as_text=True
    )


# --- Matching and pending sign-ups ----------------------------------------------------------------


def test_matching_leaves_out_people_waiting_for_approval_at_that_time(w):
    day = next_weekday(2)
    approval = make_activity(w.centre, signup_mode="approval")
    asked = slot_on(approval, day, hour=10)
    overlapping = slot_on(make_activity(w.centre), day, hour=11)
    later = slot_on(make_activity(w.centre), day + dt.timedelta(days=1), hour=15)
    elsewhere = slot_on(make_activity(w.other), day + dt.timedelta(days=1), hour=14)
    waiting = make_volunteer(w.centre, w.other, max_per_week=1)
    make_signup(asked, waiting, status="pending")
    make_signup(elsewhere, waiting, status="pending")  # another centre, outside the problem
    free = make_volunteer(w.centre)

    built = build_problem([w.centre.id], day, day + dt.timedelta(days=1))
    eligible = matching.eligible(built.problem)
    assert waiting.id not in eligible[asked.id] and waiting.id not in eligible[overlapping.id]
    assert waiting.id not in eligible[later.id]  # overlaps the pending one at the other centre
    assert free.id in eligible[asked.id] and free.id in eligible[later.id]
    # A pending sign-up blocks its time, not the person's limits (it may still be declined).
    assert waiting.id not in built.problem.load

    signups.Signup.update(status="declined").where(signups.Signup.slot == elsewhere.id).execute()
    built = build_problem([w.centre.id], day, day + dt.timedelta(days=1))
    assert waiting.id in matching.eligible(built.problem)[later.id]


# --- Wishes: planned, then realised by the first date ---------------------------------------------


def _schedule(day: dt.date) -> dict:
    return {"recurrence": "once", "start_date": day, "start_time": dt.time(10),
            "end_time": dt.time(11)}  # fmt: skip


def _activity_data(responsible) -> dict:
    from tests.factories import builtin

    return {
        "title": "Babymassage", "category_id": builtin("reading").id, "description": "",
        "place": "Bewegungsraum", "responsible_id": responsible.id, "signup_mode": "open",
        "cancel_deadline_hours": 24, "volunteers_needed": 1, "is_public": True,
    }  # fmt: skip


def test_a_wish_turned_into_an_activity_is_planned_until_its_first_date(w):
    wish = make_wish(w.centre, "Babymassage", email="mama@example.org",
                     email_consent_at=utcnow(), locale="en")  # fmt: skip
    wish.centre = w.centre
    activity = wishes.realise_wish(wish, _activity_data(w.coord), actor=w.coord)
    stored = reload(wish)
    assert (stored.status, stored.activity_id, stored.realised_at) == ("planned", activity.id, None)
    assert stored.email == "mama@example.org"  # kept: the family hears again when it happens
    assert "The centre is planning it now." in OutboxMessage.get().body_text
    with pytest.raises(Conflict):
        wishes.realise_wish(stored, _activity_data(w.coord), actor=w.coord)

    schedules.add_schedule(activity, _schedule(today() + dt.timedelta(days=5)), actor=w.coord)
    stored = reload(wish)
    assert stored.status == "realised" and stored.realised_at is not None
    assert stored.email is None  # final answer sent: the address is gone
    told = OutboxMessage.select().order_by(OutboxMessage.id.desc()).get()
    assert "Good news: your wish has come true." in told.body_text
    assert f"/zentren/linde/wuensche#wish-{wish.id}" in told.body_text


def test_the_nightly_job_realises_a_wish_with_the_first_date_it_creates(app, w):
    activity = make_activity(w.centre, title="Wandern")
    wish = make_wish(w.centre, "Wandern", status="planned", activity=activity,
                     email="papa@example.org", email_consent_at=utcnow())  # fmt: skip
    # A weekly schedule starting beyond the horizon has no slot yet.
    start = today() + dt.timedelta(days=app.config["SLOT_HORIZON_DAYS"] + 10)
    data = {**_schedule(start), "recurrence": "weekly", "interval": 1, "ends": "never"}
    result = schedules.add_schedule(activity, data, actor=w.coord)
    assert result.created == 0 and reload(wish).status == "planned"
    schedules.extend_slots(on=start - dt.timedelta(days=app.config["SLOT_HORIZON_DAYS"] - 7))
    assert reload(wish).status == "realised"
    told = OutboxMessage.get(OutboxMessage.recipient == "papa@example.org")
    assert f"/wuensche#wish-{wish.id}" in told.body_text and "_anchor" not in told.body_text


def test_realised_without_a_date_is_planned_and_the_coordinator_is_told(client, login_as, w):
    wish = make_wish(w.centre, "Nähcafé")
    empty = make_activity(w.centre, title="Nähcafé")
    english(login_as(w.coord))
    url = f"/zentren/linde/wuensche/{wish.id}"
    response = client.post(
        url, data={"status": "realised", "activity_id": str(empty.id), "answer": "Bald."},
        follow_redirects=True,
    )  # fmt: skip
    assert "The activity has no date yet, so the wish is planned" in response.get_data(as_text=True)
    assert (reload(wish).status, reload(wish).activity_id) == ("planned", empty.id)
    # Answered again as planned, the activity stays linked; "Turn into an activity" is gone.
    client.post(url, data={"status": "planned", "activity_id": str(empty.id), "answer": "Ja."})
    assert reload(wish).activity_id == empty.id
    manage = client.get("/zentren/linde/wuensche/verwaltung").get_data(as_text=True)
    assert f"/wuensche/{wish.id}/angebot" not in manage


# --- The desk's "Activities" tab ------------------------------------------------------------------


def test_the_activities_list_is_a_desk_tab(client, login_as, w):
    login_as(w.coord)  # German
    body = client.get("/zentren/linde/angebote/").get_data(as_text=True)
    nav = body[
        body.index('class="desk-nav"') : body.index("</nav>", body.index('class="desk-nav"'))
    ]
    assert '<a href="/zentren/linde/angebote/" aria-current="page">Angebote</a>' in nav
    dashboard = client.get("/zentren/linde/planung").get_data(as_text=True)
    assert '<a href="/zentren/linde/angebote/">Angebote</a>' in dashboard
