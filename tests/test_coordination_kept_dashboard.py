"""The coordinators' dashboard kept rendered (volunteer_app/coordination/fragments.py): served
again without its reads while nothing it shows changed; rendered anew after every write it
shows (the centre's ``staff`` revision, moved by the triggers of revisions/triggers.py), when
one of the centre's slots starts, when unrecorded attendance passes its thirty days, and on a
new day; kept apart per language; never with one person's CSRF token for another."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import time_machine

from tests.factories import make_category, make_centre, make_coordinator, make_user
from tests.factories_centres import count_queries, english
from tests.factories_coordination import make_activity, make_signup, make_slot
from tests.factories_wishes import make_wish
from volunteer_app.accounts.models import User
from volunteer_app.activities.models import Activity, Category, Slot
from volunteer_app.centres.models import Centre, ClosingDay
from volunteer_app.centres.queries import today
from volunteer_app.common.time import BERLIN
from volunteer_app.coordination import fragments
from volunteer_app.db import utcnow
from volunteer_app.reports.models import VolunteeringCertificate
from volunteer_app.revisions.models import ContentRevision
from volunteer_app.signups.models import CantCome, Signup
from volunteer_app.wishes.models import Wish

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

PAGE = "/zentren/zentrum-a/planung"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _nothing_kept():
    fragments.dashboards.clear()
    yield
    fragments.dashboards.clear()


@pytest.fixture
def centre(conn):
    return make_centre(name="Zentrum A", slug="zentrum-a")


@pytest.fixture
def coordinator(centre):
    return make_coordinator(centre)


def _get(client) -> tuple[str, int]:
    with count_queries() as counter:
        response = client.get(PAGE)
    assert response.status_code == 200
    return response.get_data(as_text=True), counter.count


def _without_tokens(body: str) -> str:
    return TOKEN.sub('name="csrf_token" value=""', body)


def _count(body: str, words: str) -> int | None:
    """The figure "at a glance" in front of ``words`` (None: not these words)."""
    found = re.search(r'<span class="num">(\d+)</span>\s*(?:<a [^>]*>)?' + re.escape(words), body)
    return int(found.group(1)) if found else None


# --- Kept while nothing changes -----------------------------------------------------------


def test_a_second_look_needs_no_read_of_what_it_shows(client, login_as, centre, coordinator):
    activity = make_activity(centre, title="Lesepaten")
    make_signup(make_slot(activity, 2, capacity=3))
    make_signup(make_slot(activity, 4), status="pending")
    english(login_as(coordinator))
    first, fresh = _get(client)
    second, kept = _get(client)
    # Login user, centre with its staff revision, membership check: nothing the page shows.
    assert kept == 3
    assert fresh == 10  # and the seven reads of the page when it is rendered
    assert _without_tokens(second) == _without_tokens(first)
    assert "Lesepaten" in second and "1 of 3 filled" in second
    fragments.dashboards.clear()
    assert _without_tokens(_get(client)[0]) == _without_tokens(first)  # rendered afresh


def test_the_kept_page_is_the_page_rendered_afresh(client, login_as, centre, coordinator):
    activity = make_activity(centre, title="Lesepaten", is_child_facing=True)
    slot = make_slot(activity, 1, capacity=2)
    make_signup(slot)
    cancelled = make_slot(make_activity(centre, title="Abgesagt"), 3)
    Slot.update(status="cancelled", cancel_reason="Krank").where(Slot.id == cancelled.id).execute()
    notice = CantCome.create(signup=make_signup(slot, status="cancelled"), reason="Fieber <b>")
    login_as(coordinator)
    kept = [_get(client)[0] for _ in range(2)]
    fragments.dashboards.clear()
    fresh = _get(client)[0]
    assert _without_tokens(kept[0]) == _without_tokens(kept[1]) == _without_tokens(fresh)
    assert "Fieber &lt;b&gt;" in fresh
    assert f"/zentren/zentrum-a/kann-nicht/{notice.id}/erledigt" in fresh


def test_languages_are_kept_apart(client, login_as, centre, coordinator):
    make_slot(make_activity(centre, title="Lesepaten"), 2)
    login_as(coordinator)
    german = _get(client)[0]
    english(client)
    assert "Needs volunteers" in _get(client)[0]
    assert "Needs volunteers" in _get(client)[0]
    with client.session_transaction() as sess:
        sess["lang"] = "de"
    again, queries = _get(client)
    assert _without_tokens(again) == _without_tokens(german) and queries == 3
    assert "Braucht Ehrenamtliche" in again


# --- The CSRF token is each person's own --------------------------------------------------


def test_each_person_gets_their_own_token_and_it_works(app, client, login_as, centre, coordinator):
    slot = make_slot(make_activity(centre, title="Lesepaten"), 2)
    notice = CantCome.create(signup=make_signup(slot, status="cancelled"), reason="")
    login_as(coordinator)
    mine = _get(client)[0]
    other = make_coordinator(centre)
    second = app.test_client()
    with second.session_transaction() as sess:
        now = time.time()
        sess.update({"_user_id": other.get_id(), "_fresh": True, "login_at": now, "auth_at": now})
        sess["mfa_ok"] = True
    response = second.get(PAGE)
    theirs = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "csrf-token" not in mine + theirs
    (my_token,), (their_token,) = set(TOKEN.findall(mine)), set(TOKEN.findall(theirs))
    assert my_token != their_token
    assert _without_tokens(mine) == _without_tokens(theirs)
    action = re.search(
        r'<form method="post" action="([^"]+)">', theirs[theirs.index("cant-come") :]
    )
    done = second.post(action.group(1), data={"csrf_token": their_token})
    assert done.status_code == 302
    assert CantCome.get_by_id(notice.id).handled_at is not None
    # Nothing of a person is kept: only the placeholder is.
    kept = "".join(html for _, _, html in fragments.dashboards.items.values())
    assert my_token not in kept and their_token not in kept
    assert str(fragments.CSRF_PLACEHOLDER) in kept


# --- Every write it shows renders it anew ----------------------------------------------------


def _slot(centre, **fields):
    return make_slot(make_activity(centre, title="Lesepaten"), 2, capacity=3, **fields)


def _sign_up(centre):
    slot = _slot(centre)
    return lambda: make_signup(slot), lambda body: "1 of 3 filled" in body


def _await_approval(centre):
    slot = _slot(centre)
    return lambda: make_signup(slot, status="pending"), lambda body: "approvals-heading" in body


def _approve(centre):
    slot = _slot(centre)
    signup = make_signup(slot, status="pending")

    def write():
        Signup.update(status="confirmed").where(Signup.id == signup.id).execute()
        Slot.update(taken=1).where(Slot.id == slot.id).execute()

    return write, lambda body: "approvals-heading" not in body and "1 of 3 filled" in body


def _record_attendance(centre):
    past = make_slot(make_activity(centre, title="Lesepaten"), -2)
    signup = make_signup(past)

    def write():
        Signup.update(attendance="attended", hours=2).where(Signup.id == signup.id).execute()

    return write, lambda body: "Attendance still to record" not in body


def _change_capacity(centre):
    slot = _slot(centre)
    return (
        lambda: Slot.update(capacity=5).where(Slot.id == slot.id).execute(),
        lambda body: "0 of 5 filled" in body,
    )


def _cancel(centre):
    slot = _slot(centre)

    def write():
        Slot.update(status="cancelled", cancel_reason="Sturm").where(Slot.id == slot.id).execute()

    return write, lambda body: "Sturm" in body


def _rename_activity(centre):
    slot = _slot(centre)
    return (
        lambda: (
            Activity.update(title="Vorlesestunde").where(Activity.id == slot.activity_id).execute()
        ),
        lambda body: "Vorlesestunde" in body,
    )


def _rename_category(centre):
    category = make_category(centre, name="Handwerk")
    make_slot(make_activity(centre, category=category), 2)
    return (
        lambda: Category.update(name="Basteln").where(Category.id == category.id).execute(),
        lambda body: "Basteln" in body and "Handwerk" not in body,
    )


def _cant_come(centre):
    signup = make_signup(_slot(centre), status="cancelled")
    return (
        lambda: CantCome.create(signup=signup, reason="Fieber"),
        lambda body: "cant-come-heading" in body and "Fieber" in body,
    )


def _cant_come_handled(centre):
    notice = CantCome.create(signup=make_signup(_slot(centre), status="cancelled"), reason="")

    def write():
        CantCome.update(handled_at=utcnow()).where(CantCome.id == notice.id).execute()

    return write, lambda body: "cant-come-heading" not in body


def _rename_volunteer(centre):
    person = make_user(name="Vera Vorleserin")
    CantCome.create(signup=make_signup(_slot(centre), person, status="cancelled"), reason="")
    return (
        lambda: User.update(name="Vera Lesemaus").where(User.id == person.id).execute(),
        lambda body: "Vera Lesemaus" in body,
    )


def _wish_awaits_approval(centre):
    return (
        lambda: make_wish(centre, approved_at=None),
        lambda body: _count(body, "family wish awaits approval") == 1,
    )


def _wish_approved(centre):
    wish = make_wish(centre, approved_at=None)
    return (
        lambda: Wish.update(approved_at=utcnow()).where(Wish.id == wish.id).execute(),
        lambda body: _count(body, "family wishes await approval") == 0,
    )


def _certificate_requested(centre):
    volunteer = make_user()

    def write():
        VolunteeringCertificate.create(
            volunteer=volunteer,
            centre=centre,
            period_start=today() - dt.timedelta(days=30),
            period_end=today(),
        )

    return write, lambda body: _count(body, "certificate of volunteering to sign") == 1


def _certificate_signed(centre):
    cert = VolunteeringCertificate.create(
        volunteer=make_user(), centre=centre, period_start=today(), period_end=today()
    )

    def write():
        VolunteeringCertificate.update(
            status="signed", signed_on=today(), signed_by_name="Clara Linde"
        ).where(VolunteeringCertificate.id == cert.id).execute()

    return write, lambda body: _count(body, "certificates of volunteering to sign") == 0


def _closing_day(centre):
    return (
        lambda: ClosingDay.create(centre=centre, day=today() + dt.timedelta(days=3), reason="Putz"),
        lambda body: "Closing day" in body and "Putz" in body,
    )


def _rename_centre(centre):
    return (
        lambda: Centre.update(name="Haus Regenbogen").where(Centre.id == centre.id).execute(),
        lambda body: "Haus Regenbogen" in body,
    )


WRITES = {
    "sign-up": _sign_up,
    "sign-up awaiting approval": _await_approval,
    "approval": _approve,
    "attendance": _record_attendance,
    "places needed": _change_capacity,
    "cancelled slot": _cancel,
    "activity renamed": _rename_activity,
    "category renamed": _rename_category,
    "cannot come": _cant_come,
    "cannot come dealt with": _cant_come_handled,
    "volunteer renamed": _rename_volunteer,
    "wish awaiting approval": _wish_awaits_approval,
    "wish approved": _wish_approved,
    "certificate requested": _certificate_requested,
    "certificate signed": _certificate_signed,
    "closing day": _closing_day,
    "centre renamed": _rename_centre,
}


@pytest.mark.parametrize("what", WRITES)
def test_every_write_it_shows_renders_it_anew(client, login_as, centre, coordinator, what):
    write, shows = WRITES[what](centre)
    english(login_as(coordinator))
    before = _get(client)[0]
    assert not shows(before)
    write()
    after, queries = _get(client)
    assert shows(after), what
    assert queries == 10  # rendered again
    again, queries = _get(client)
    assert (_without_tokens(again), queries) == (_without_tokens(after), 3)  # kept again


def test_a_wish_supported_again_leaves_the_dashboard_kept(client, login_as, centre, coordinator):
    wish = make_wish(centre)
    login_as(coordinator)
    _get(client)
    Wish.update(support_count=Wish.support_count + 1).where(Wish.id == wish.id).execute()
    assert _get(client)[1] == 3


# --- Time ----------------------------------------------------------------------------------


def _travel_and_log_in(login_as, coordinator, when: dt.datetime):
    traveller = time_machine.travel(when.replace(tzinfo=dt.UTC), tick=False)
    traveller.start()
    english(login_as(coordinator))  # the session's clocks at the new time
    return traveller


def test_a_slot_that_starts_leaves_the_approvals_for_the_attendance(
    client, login_as, centre, coordinator
):
    start = (utcnow() + dt.timedelta(minutes=20)).replace(microsecond=0)
    slot = make_slot(make_activity(centre, title="Lesepaten"), starts_at=start)
    make_signup(slot)
    make_signup(slot, status="pending")
    english(login_as(coordinator))
    body = _get(client)[0]
    assert "approvals-heading" in body and "attendance-heading" not in body
    assert _get(client)[1] == 3
    traveller = _travel_and_log_in(login_as, coordinator, start)
    try:
        at_start = _get(client)[0]  # neither awaiting approval nor yet to record
        assert "approvals-heading" not in at_start and "attendance-heading" not in at_start
    finally:
        traveller.stop()
    traveller = _travel_and_log_in(login_as, coordinator, start + dt.timedelta(minutes=5))
    try:
        body = _get(client)[0]
    finally:
        traveller.stop()
    assert "approvals-heading" not in body
    assert f'href="/termine/{slot.id}/besetzung#confirmed"' in body


def test_unrecorded_attendance_leaves_after_thirty_days(client, login_as, centre, coordinator):
    start = (utcnow() - dt.timedelta(days=30) + dt.timedelta(minutes=10)).replace(microsecond=0)
    past = make_slot(make_activity(centre, title="Lesepaten"), starts_at=start)
    make_signup(past)
    english(login_as(coordinator))
    assert f"/termine/{past.id}/besetzung#confirmed" in _get(client)[0]
    traveller = _travel_and_log_in(login_as, coordinator, utcnow() + dt.timedelta(minutes=15))
    try:
        body, queries = _get(client)
    finally:
        traveller.stop()
    assert queries == 10
    assert f"/termine/{past.id}/besetzung" not in body


def test_a_new_day_moves_the_fourteen_days(client, login_as, centre, coordinator):
    make_slot(make_activity(centre, title="Lesepaten"), 14)  # the day after the window
    english(login_as(coordinator))
    assert "Lesepaten" not in _get(client)[0]
    tomorrow = dt.datetime.combine(today() + dt.timedelta(days=1), dt.time(0, 5), BERLIN)
    traveller = _travel_and_log_in(login_as, coordinator, tomorrow.astimezone(dt.UTC))
    try:
        body = _get(client)[0]
    finally:
        traveller.stop()
    assert "Lesepaten" in body


# --- The triggers behind it ----------------------------------------------------------------


def _staff(centre) -> int:
    row = ContentRevision.get_or_none(
        (ContentRevision.scope == "staff") & (ContentRevision.owner_id == centre.id)
    )
    return row.value if row else 0


def test_what_only_the_dashboard_shows_moves_the_staff_revision(conn, centre):
    other = make_centre(slug="anderswo")
    signup = make_signup(make_slot(make_activity(centre), 2), status="cancelled")
    steps = [
        lambda: CantCome.create(signup=signup),
        lambda: CantCome.update(handled_at=utcnow()).execute(),
        lambda: CantCome.delete().execute(),
        lambda: make_wish(centre, approved_at=None),
        lambda: Wish.update(approved_at=utcnow()).execute(),
        lambda: Wish.delete().execute(),
        lambda: VolunteeringCertificate.create(
            volunteer=make_user(), centre=centre, period_start=today(), period_end=today()
        ),
        lambda: VolunteeringCertificate.update(
            status="signed", signed_on=today(), signed_by_name="Clara Linde"
        ).execute(),
        lambda: ClosingDay.create(centre=centre, day=today()),
    ]
    for step in steps:
        before, elsewhere = _staff(centre), _staff(other)
        step()
        assert _staff(centre) > before
        assert _staff(other) == elsewhere


def test_a_wishs_supporters_do_not_move_the_staff_revision(conn, centre):
    wish = make_wish(centre)
    before = _staff(centre)
    Wish.update(support_count=Wish.support_count + 3).where(Wish.id == wish.id).execute()
    assert _staff(centre) == before


# --- The kept pages themselves ---------------------------------------------------------------


def test_kept_pages_are_bounded_and_each_is_good_until_its_moment():
    kept = fragments.Kept(size=2)
    now = dt.datetime(2026, 5, 4, 10, 0)
    rendered = []

    def render(text, until=None):
        def run():
            rendered.append(text)
            return text, until

        return run

    assert kept.get("a", 1, now, render("a1", now + dt.timedelta(hours=1))) == "a1"
    assert kept.get("a", 1, now, render("never")) == "a1"
    assert kept.get("a", 2, now, render("a2")) == "a2"  # a new stamp: rendered again
    later = now + dt.timedelta(hours=2)
    assert kept.get("a", 2, later, render("never")) == "a2"  # no moment: good until a write
    assert kept.get("b", 1, now, render("b1", now)) == "b1"
    assert kept.get("b", 1, now, render("b2", later)) == "b2"  # its moment has come
    assert kept.get("c", 1, now, render("c1")) == "c1"  # the least recently used goes
    assert list(kept.items) == ["b", "c"]
    assert rendered == ["a1", "a2", "b1", "b2", "c1"]
