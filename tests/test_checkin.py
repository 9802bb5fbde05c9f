"""Arrival at the door: the codes (minute, poster, tablet link, grant), checking in (services
and over HTTP: expired code, wrong centre, twice), the tablet page, the poster, the desk page,
attendance for all of a slot's people in one step on the roster, and who may do what."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from tests.factories import (
    make_activity,
    make_centre,
    make_coordinator,
    make_signup,
    make_slot,
    make_user,
    reload,
)
from tests.factories_centres import count_queries, english
from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkin import codes, queries, services
from volunteer_app.checkin.models import Checkin, CheckinPoint
from volunteer_app.common.errors import NotAllowed, NotFound
from volunteer_app.db import utcnow
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.dates  # slots around "now"

KEY = "testing-secret"  # TestingConfig.SECRET_KEY


class World:
    """Centre A with a slot starting in 30 minutes, one running and one later today; centre
    B with a slot now; a volunteer confirmed at A, a coordinator of each centre."""

    def __init__(self):
        now = utcnow().replace(microsecond=0)
        self.now = now
        self.a = make_centre(name="Zentrum A", slug="zentrum-a")
        self.b = make_centre(name="Zentrum B", slug="zentrum-b")
        self.coordinator_a = make_coordinator(self.a, name="Clara Auerbach")
        self.coordinator_b = make_coordinator(self.b, name="Bodo Birkner")
        self.vera = make_user(name="Vera Vogel")
        self.otto = make_user(name="Otto Ort")
        reading = make_activity(self.a, title="Vorlesestunde")
        self.soon = make_slot(reading, now + dt.timedelta(minutes=30), hours=2)
        self.running = make_slot(reading, now - dt.timedelta(minutes=90), hours=2)
        self.later = make_slot(reading, now + dt.timedelta(hours=3), hours=1)
        self.soon_vera = make_signup(self.soon, self.vera)
        self.later_vera = make_signup(self.later, self.vera)
        self.garden_b = make_slot(make_activity(self.b, title="Gartentag B"), now, hours=2)
        self.otto_b = make_signup(self.garden_b, self.otto)
        self.point_a = services.set_up(self.a, actor=self.coordinator_a)
        self.point_b = services.set_up(self.b, actor=self.coordinator_b)

    def minute_code(self, point=None, minutes_ago: int = 0) -> str:
        point = reload(point or self.point_a)
        step = codes.step_at(utcnow()) - minutes_ago
        return codes.minute_code(KEY, point.code_seed, step)

    def poster_code(self, point=None) -> str:
        return codes.poster_code(KEY, reload(point or self.point_a).poster_seed)


@pytest.fixture
def w(conn):
    return World()


def _follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _scan(client, w, code: str, slug: str = "zentrum-a"):
    return client.get(f"/ankommen/{slug}/{code}")


def _grant(response) -> str:
    """The grant in a scan's redirect (to the arrival page, or through the log-in)."""
    location = urlparse(response.headers["Location"])
    query = parse_qs(location.query)
    if "next" in query:
        query = parse_qs(urlparse(unquote(query["next"][0])).query)
    return query["g"][0]


# --- The codes (pure) ----------------------------------------------------------------------


def test_minute_codes_accept_this_and_the_previous_minute_only():
    seed, poster = codes.new_seed(), codes.new_seed()
    now = 29_000_000

    def verdict(code):
        return codes.verdict(code, secret_key=KEY, code_seed=seed, poster_seed=poster, step=now)

    assert verdict(codes.minute_code(KEY, seed, now)) == "tablet"
    assert verdict(codes.minute_code(KEY, seed, now - 1)) == "tablet"
    assert verdict(codes.minute_code(KEY, seed, now - 2)) == "expired"
    assert verdict(codes.minute_code(KEY, seed, now + 1)) == "expired"
    assert verdict(codes.minute_code(KEY, codes.new_seed(), now)) == "invalid"  # other centre
    assert verdict(codes.minute_code("another key", seed, now)) == "invalid"
    assert verdict(codes.poster_code(KEY, poster)) == "poster"
    assert verdict(codes.poster_code(KEY, seed)) == "invalid"
    forged = f"{now}-" + "a" * 16
    for code in (forged, "", "x", "29000000-", "-" * 40, "ä" * 26, codes.tablet_token(KEY, seed)):
        assert verdict(code) == "invalid", code
    # Long enough not to be guessed; kinds told apart by their shape.
    assert re.fullmatch(r"29000000-[a-z2-7]{16}", codes.minute_code(KEY, seed, now))
    assert re.fullmatch(r"[a-z2-7]{26}", codes.poster_code(KEY, poster))
    assert re.fullmatch(r"[a-z2-7]{32}", codes.tablet_token(KEY, seed))


def test_steps_are_minutes_of_utc():
    start = dt.datetime(2027, 3, 28, 0, 59, 59)  # just before the spring clock change (UTC)
    assert codes.step_at(start + dt.timedelta(seconds=1)) == codes.step_at(start) + 1
    assert codes.seconds_left(start) == 1
    assert codes.seconds_left(start + dt.timedelta(seconds=1)) == 60


def test_grants_are_signed_bound_to_the_centre_and_expire(monkeypatch):
    token = codes.make_grant(KEY, codes.Grant(7, "poster"))
    assert codes.read_grant(KEY, token, 7) == codes.Grant(7, "poster")
    for bad_token, centre in ((token, 8), (token + "x", 7), ("", 7), ("a.b.c", 7)):
        with pytest.raises(codes.GrantRefused) as refused:
            codes.read_grant(KEY, bad_token, centre)
        assert not refused.value.expired
    with pytest.raises(codes.GrantRefused):
        codes.read_grant("another key", token, 7)
    monkeypatch.setattr(codes, "GRANT_MINUTES", -1)
    with pytest.raises(codes.GrantRefused) as refused:
        codes.read_grant(KEY, token, 7)
    assert refused.value.expired


# --- Checking in (services) --------------------------------------------------------------------


def test_check_in_records_attendance_and_hours_until_the_end(w):
    done = services.check_in(w.a.id, "tablet", actor=w.vera)
    assert [d.signup.id for d in done] == [w.soon_vera.id]  # not the slot in three hours
    signup = reload(w.soon_vera)
    assert (signup.attendance, signup.hours) == ("attended", Decimal("2.00"))  # from the start
    checkin = Checkin.get(Checkin.signup == w.soon_vera.id)
    assert checkin.method == "tablet"
    entry = AuditEntry.get(AuditEntry.action == "signup.checked_in")
    assert (entry.actor_id, entry.subject_id, entry.slot_id) == (w.vera.id, w.vera.id, w.soon.id)
    assert reload(w.later_vera).attendance is None


def test_arriving_late_counts_from_the_check_in(w):
    late = make_signup(w.running, w.otto)  # ran 90 minutes of 120
    services.check_in(w.a.id, "poster", actor=w.otto)
    signup = reload(late)
    assert signup.attendance == "attended"
    assert Decimal("0.45") <= signup.hours <= Decimal("0.50")
    assert services.hours_from(w.running.starts_at - dt.timedelta(hours=1), w.running) == 2
    assert services.hours_from(w.running.ends_at, w.running) == 0


def test_checking_in_twice_is_refused_and_changes_nothing(w):
    services.check_in(w.a.id, "tablet", actor=w.vera)
    first = Checkin.get(Checkin.signup == w.soon_vera.id).checked_in_at
    with pytest.raises(services.AlreadyCheckedIn):
        services.check_in(w.a.id, "tablet", actor=w.vera)
    assert Checkin.select().count() == 1
    assert Checkin.get(Checkin.signup == w.soon_vera.id).checked_in_at == first
    assert AuditEntry.select().where(AuditEntry.action == "signup.checked_in").count() == 1


def test_no_slot_now_at_this_centre_is_refused(w):
    with pytest.raises(services.NothingToCheckIn):
        services.check_in(w.b.id, "tablet", actor=w.vera)  # Vera's dates are at A
    with pytest.raises(services.NothingToCheckIn):
        services.check_in(w.a.id, "tablet", actor=w.otto)  # Otto's date is at B
    pending = make_user(name="Paula Pending")
    make_signup(w.soon, pending, status="pending")
    with pytest.raises(services.NothingToCheckIn):
        services.check_in(w.a.id, "tablet", actor=pending)
    assert Checkin.select().count() == 0


def test_the_arrival_page_knows_why_not(w):
    at_a = queries.arrival(w.otto.id, w.a.id, utcnow())
    assert not at_a.here and [line.signup.id for line in at_a.elsewhere] == [w.otto_b.id]
    vera_at_a = queries.arrival(w.vera.id, w.a.id, utcnow())
    assert [line.signup.id for line in vera_at_a.ready] == [w.soon_vera.id]
    assert vera_at_a.next_here.id == w.later_vera.id
    waiting = make_user()
    make_signup(w.soon, waiting, status="waitlisted")
    assert queries.arrival(waiting.id, w.a.id, utcnow()).unconfirmed


def test_a_coordinators_hours_stay_and_a_no_show_becomes_attended(w):
    make_signup(w.running, w.otto, attendance="attended", hours=Decimal("1.25"))
    services.check_in(w.a.id, "tablet", actor=w.otto)
    assert reload(Signup.get(Signup.slot == w.running.id)).hours == Decimal("1.25")
    Signup.update(attendance="no_show", hours=0).where(Signup.id == w.soon_vera.id).execute()
    services.check_in(w.a.id, "tablet", actor=w.vera)
    assert reload(w.soon_vera).attendance == "attended"


def test_a_check_in_of_a_cancelled_earlier_sign_up_does_not_count(w):
    services.check_in(w.a.id, "tablet", actor=w.vera)
    # The sign-up is cancelled and made anew (the same row, a later queued_at).
    Signup.update(
        status="confirmed", queued_at=utcnow() + dt.timedelta(seconds=5), attendance=None
    ).where(Signup.id == w.soon_vera.id).execute()
    assert queries.checkins_of_slot(w.soon.id) == {}
    Checkin.update(checked_in_at=utcnow() - dt.timedelta(minutes=5)).execute()
    services.check_in(w.a.id, "tablet", actor=w.vera)
    assert Checkin.select().count() == 1 and reload(w.soon_vera).attendance == "attended"


# --- The centre's codes (services) ------------------------------------------------------------


def test_set_up_renew_and_switch_off_codes(w):
    assert services.set_up(w.a, actor=w.coordinator_a).id == w.point_a.id  # again: the same
    old_code, old_poster = w.minute_code(), w.poster_code()
    old_tablet = reload(w.point_a).tablet_seed
    services.renew_tablet_link(w.a, actor=w.coordinator_a)
    point = reload(w.point_a)
    assert point.tablet_seed != old_tablet and w.minute_code() != old_code
    assert w.poster_code() == old_poster  # the poster keeps working
    services.renew_poster_code(w.a, actor=w.coordinator_a)
    assert w.poster_code() != old_poster
    services.switch_off_tablet_link(w.a, actor=w.coordinator_a)
    assert reload(w.point_a).tablet_seed is None
    details = [e.detail for e in AuditEntry.select().where(AuditEntry.action == "checkin.changed")]
    assert details == [
        "switched on",
        "switched on",
        "new tablet link",
        "new poster code",
        "tablet link off",
    ]


def test_only_the_centres_coordinators_change_its_codes(w):
    for action in (
        services.set_up,
        services.renew_tablet_link,
        services.switch_off_tablet_link,
        services.renew_poster_code,
    ):
        for stranger in (w.coordinator_b, w.vera):
            with pytest.raises(NotAllowed):
                action(w.a, actor=stranger)
    assert reload(w.point_a).tablet_seed == w.point_a.tablet_seed
    fresh = make_centre()
    with pytest.raises(NotFound):
        services.renew_poster_code(fresh, actor=make_user(role="admin"))


# --- Attendance of a whole slot (service) ------------------------------------------------------


def _past_slot(w, people: int = 2):
    slot = make_slot(make_activity(w.a, title="Gartentag"), utcnow() - dt.timedelta(days=2))
    return slot, [make_signup(slot, make_user(name=f"Gärtner {i}")) for i in range(people)]


def test_attendance_of_all_people_is_saved_in_one_step(w):
    slot, (one, two) = _past_slot(w)
    saved = services.record_slot_attendance(
        slot.id,
        [
            services.AttendanceRow(one.id, "attended", Decimal("1.5")),
            services.AttendanceRow(two.id, "no_show", None),
        ],
        actor=w.coordinator_a,
    )
    assert [s.id for s in saved] == [one.id, two.id]
    assert (reload(one).attendance, reload(one).hours) == ("attended", Decimal("1.50"))
    assert (reload(two).attendance, reload(two).hours) == ("no_show", Decimal("0.00"))
    # The same again changes nothing and writes no audit entry.
    again = services.record_slot_attendance(
        slot.id,
        [
            services.AttendanceRow(one.id, "attended", Decimal("1.50")),
            services.AttendanceRow(two.id, "no_show", None),
        ],
        actor=w.coordinator_a,
    )
    assert again == []
    assert AuditEntry.select().where(AuditEntry.action == "signup.attendance").count() == 2


def test_one_wrong_row_saves_nothing(w):
    slot, (one, two) = _past_slot(w)
    with pytest.raises(services.RowRefused) as refused:
        services.record_slot_attendance(
            slot.id,
            [
                services.AttendanceRow(one.id, "attended", Decimal("2")),
                services.AttendanceRow(two.id, "attended", Decimal("25")),
            ],
            actor=w.coordinator_a,
        )
    assert (refused.value.signup_id, refused.value.field) == (two.id, "hours")
    assert reload(one).attendance is None and reload(two).attendance is None
    assert AuditEntry.select().where(AuditEntry.action == "signup.attendance").count() == 0


def test_attendance_rows_of_another_slot_or_centre_are_refused(w):
    slot, (one, _two) = _past_slot(w)
    row = [services.AttendanceRow(w.soon_vera.id, "attended", None)]
    with pytest.raises(NotFound):
        services.record_slot_attendance(slot.id, row, actor=w.coordinator_a)
    with pytest.raises(NotAllowed):
        services.record_slot_attendance(
            slot.id, [services.AttendanceRow(one.id, "attended", None)], actor=w.coordinator_b
        )
    assert reload(one).attendance is None and reload(w.soon_vera).attendance is None


# --- Over HTTP: scanning and checking in -------------------------------------------------------


def test_scan_log_in_and_check_in_with_one_tap(client, login_as, w):
    english(client)
    response = _scan(client, w, w.minute_code())
    assert response.status_code == 302
    location = urlparse(response.headers["Location"])
    assert location.path == "/konto/anmelden"  # anonymous: the log-in first, then on
    assert unquote(parse_qs(location.query)["next"][0]).startswith("/ankommen/zentrum-a?g=")
    english(login_as(w.vera))
    arrival = client.get(f"/ankommen/zentrum-a?g={_grant(response)}").get_data(as_text=True)
    assert "Vorlesestunde" in arrival and "Check in now" in arrival
    page = _follow(client, client.post("/ankommen/zentrum-a", data={"grant": _grant(response)}))
    assert "You are checked in. Thank you for coming!" in page
    assert "You are checked in" in page and "Checked in at" in page
    assert reload(w.soon_vera).attendance == "attended"
    assert Checkin.get(Checkin.signup == w.soon_vera.id).method == "tablet"


def test_a_logged_in_volunteer_goes_straight_to_the_button(client, login_as, w):
    english(login_as(w.vera))
    response = _scan(client, w, w.poster_code())
    assert urlparse(response.headers["Location"]).path == "/ankommen/zentrum-a"
    client.post("/ankommen/zentrum-a", data={"grant": _grant(response)})
    assert Checkin.get(Checkin.signup == w.soon_vera.id).method == "poster"


def test_an_expired_code_is_refused_with_a_sentence(client, login_as, w, monkeypatch):
    english(login_as(w.vera))
    step = codes.step_at(utcnow())
    monkeypatch.setattr(codes, "step_at", lambda now: step)  # no minute passes meanwhile
    seed = reload(w.point_a).code_seed
    response = _scan(client, w, codes.minute_code(KEY, seed, step - 2))
    assert response.status_code == 410
    assert "This code has expired" in response.get_data(as_text=True)
    # The previous minute still works (the scan may cross the minute).
    assert _scan(client, w, codes.minute_code(KEY, seed, step - 1)).status_code == 302
    assert Checkin.select().count() == 0


def test_an_unknown_code_or_another_centres_code_is_refused(client, login_as, w):
    english(login_as(w.vera))
    for code in ("nonsense", w.minute_code(w.point_b), w.poster_code(w.point_b)):
        response = _scan(client, w, code)
        assert response.status_code == 404
        assert "This code is not valid (any more)" in response.get_data(as_text=True)
    assert client.get("/ankommen/unbekannt/abc").status_code == 404
    old_poster = w.poster_code()
    services.renew_poster_code(w.a, actor=w.coordinator_a)  # posters printed before
    assert _scan(client, w, old_poster).status_code == 404
    assert Checkin.select().count() == 0


def test_a_volunteer_at_the_wrong_centre_is_told_where_their_date_is(client, login_as, w):
    english(login_as(w.otto))  # Otto's date now is at B; he scans A's tablet
    response = _scan(client, w, w.minute_code())
    page = _follow(client, response)
    assert "You are not expected at Zentrum A now" in page
    assert "Gartentag B" in page and "Zentrum B" in page and "Check in now" not in page
    refused = _follow(client, client.post("/ankommen/zentrum-a", data={"grant": _grant(response)}))
    assert "You have no confirmed date here" in refused
    assert Checkin.select().count() == 0


def test_checking_in_twice_over_http_says_so(client, login_as, w):
    english(login_as(w.vera))
    grant = _grant(_scan(client, w, w.minute_code()))
    client.post("/ankommen/zentrum-a", data={"grant": grant})
    page = _follow(client, client.post("/ankommen/zentrum-a", data={"grant": grant}))
    assert "You have already checked in." in page
    assert Checkin.select().count() == 1


def test_a_grant_of_another_centre_or_too_old_is_refused(client, login_as, w, monkeypatch):
    english(login_as(w.vera))
    grant_b = codes.make_grant(KEY, codes.Grant(w.b.id, "tablet"))
    page = client.get(f"/ankommen/zentrum-a?g={grant_b}").get_data(as_text=True)
    assert "Please scan the code at the entrance again." in page and "Check in now" not in page
    refused = _follow(client, client.post("/ankommen/zentrum-a", data={"grant": grant_b}))
    assert "Please scan the code at the entrance again." in refused
    monkeypatch.setattr(codes, "GRANT_MINUTES", -1)
    grant_a = codes.make_grant(KEY, codes.Grant(w.a.id, "tablet"))
    page = _follow(client, client.post("/ankommen/zentrum-a", data={"grant": grant_a}))
    assert "Too much time has passed since you scanned the code" in page
    assert _follow(client, client.post("/ankommen/zentrum-a", data={}))
    assert Checkin.select().count() == 0


def test_the_arrival_page_in_german_arabic_and_without_a_date(client, login_as, w):
    login_as(make_user(name="Nora Niemand"))
    page = client.get("/ankommen/zentrum-a").get_data(as_text=True)
    assert "Einchecken" in page
    assert "in der nächsten Stunde" in page  # no date here now, in German
    page = client.get("/ankommen/zentrum-a?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page and "تسجيل الحضور" in page


def test_scanning_is_rate_limited(app, client, w):
    app.config["RATELIMIT_CHECKIN"] = "3 per minute"
    answers = [_scan(client, w, "nonsense").status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]


# --- The tablet page, the poster, the desk ---------------------------------------------------


def _tablet_path(w, point=None) -> str:
    point = reload(point or w.point_a)
    return f"/zentren/zentrum-a/eingang/{codes.tablet_token(KEY, point.tablet_seed)}"


def test_the_tablet_page_shows_this_minutes_code_and_refreshes(client, w):
    english(client)
    path = _tablet_path(w)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert '<svg role="img" aria-label="QR code: check in at Zentrum A"' in body
    refresh = int(re.search(r'http-equiv="refresh" content="(\d+)"', body).group(1))
    assert 2 <= refresh <= 61
    assert "Volunteering today? Check in here." in body
    assert 'src="/static/checkin.js"' in body  # the next code comes by script, not by reload
    code = client.get(path + "/code")
    assert code.headers["Cache-Control"] == "no-store"
    assert code.json["svg"].startswith('<svg role="img"') and 1 <= code.json["next"] <= 61
    if code.json["svg"] not in body:  # only if a new minute began in between
        assert code.json["next"] >= 58
    # A wrong token, a renewed link, a switched-off link: a sentence, never a code.
    assert client.get(path[:-1] + ("a" if path[-1] != "a" else "b")).status_code == 404
    services.renew_tablet_link(w.a, actor=w.coordinator_a)
    gone = client.get(path)
    assert gone.status_code == 404 and "<svg" not in gone.get_data(as_text=True)
    assert client.get(_tablet_path(w)).status_code == 200
    assert client.get(path + "/code").status_code == 404
    services.switch_off_tablet_link(w.a, actor=w.coordinator_a)
    assert client.get(path).status_code == 404
    assert client.get(f"/zentren/zentrum-b/eingang/{path.rsplit('/', 1)[1]}").status_code == 404


def test_the_poster_has_the_fixed_code_in_any_language(client, login_as, w):
    login_as(w.coordinator_a)
    page = client.get("/zentren/zentrum-a/ankunft/aushang?lang=uk").get_data(as_text=True)
    assert '<html lang="uk"' in page and "<svg" in page
    assert w.poster_code() in page  # the address under the code, for typing it in
    make_centre(slug="ohne-checkin")
    response = login_as(make_user(role="admin")).get("/zentren/ohne-checkin/ankunft/aushang")
    assert response.status_code == 302  # switch it on first


def test_the_desk_lists_todays_arrivals_in_a_fixed_number_of_queries(client, login_as, w):
    english(login_as(w.coordinator_a))
    services.check_in(w.a.id, "tablet", actor=w.vera)
    page = client.get("/zentren/zentrum-a/ankunft").get_data(as_text=True)
    assert "Checked in today" in page and "Vera Vogel" in page and "tablet" in page
    assert "/zentren/zentrum-a/eingang/" in page  # the tablet link, to open on the tablet
    with count_queries() as few:
        client.get("/zentren/zentrum-a/ankunft")
    feast = make_slot(make_activity(w.a, title="Fest"), utcnow(), capacity=10)
    for i in range(4):
        person = make_user(name=f"Person {i}")
        make_signup(feast, person)
        services.check_in(w.a.id, "poster", actor=person)
    with count_queries() as many:
        page = client.get("/zentren/zentrum-a/ankunft").get_data(as_text=True)
    assert "Person 3" in page
    assert many.count == few.count


def test_the_desk_before_the_check_in_is_switched_on(client, login_as, w):
    centre = make_centre(name="Zentrum C", slug="zentrum-c")
    english(login_as(make_coordinator(centre)))
    page = client.get("/zentren/zentrum-c/ankunft").get_data(as_text=True)
    assert "Switch the check-in on" in page and "eingang/" not in page
    page = _follow(client, client.post("/zentren/zentrum-c/ankunft/einschalten"))
    assert "The check-in is on." in page and "/zentren/zentrum-c/eingang/" in page
    assert CheckinPoint.select().where(CheckinPoint.centre == centre.id).count() == 1


def test_another_centres_coordinator_sees_and_changes_nothing(client, login_as, w):
    login_as(w.coordinator_b)
    before = reload(w.point_a).tablet_seed
    for path in ("/zentren/zentrum-a/ankunft", "/zentren/zentrum-a/ankunft/aushang"):
        assert client.get(path).status_code == 403
    for path in ("einschalten", "tablet-link", "tablet-link/aus", "aushang/neu"):
        assert client.post(f"/zentren/zentrum-a/ankunft/{path}").status_code == 403
    assert reload(w.point_a).tablet_seed == before


# --- The roster: check-ins shown, attendance for everyone in one form -------------------------


def test_the_roster_shows_who_checked_in(client, login_as, w):
    services.check_in(w.a.id, "poster", actor=w.vera)
    english(login_as(w.coordinator_a))
    page = client.get(f"/termine/{w.soon.id}/besetzung").get_data(as_text=True)
    assert re.search(r"Checked in at [^<]*\d:\d\d[^<]* \(poster\)", page)


def _roster_form(slot_id, rows) -> dict:
    data = {}
    for i, (signup, attendance, hours) in enumerate(rows):
        data[f"rows-{i}-signup_id"] = str(signup.id)
        data[f"rows-{i}-attendance"] = attendance
        data[f"rows-{i}-hours"] = hours
    return data


def test_the_roster_saves_everyones_attendance_in_one_step(client, login_as, w):
    slot, (one, two) = _past_slot(w)
    english(login_as(w.coordinator_a))
    page = client.get(f"/termine/{slot.id}/besetzung").get_data(as_text=True)
    assert page.count('form="attendance-form"') == 8  # per person: id, two choices, hours
    assert 'name="rows-1-hours"' in page and "Save attendance" in page
    url = f"/termine/{slot.id}/besetzung/anwesenheit"
    data = _roster_form(slot.id, [(one, "attended", "1,5"), (two, "no_show", "2")])
    page = _follow(client, client.post(url, data=data))
    assert "Attendance of 2 people has been saved." in page
    assert (reload(one).hours, reload(two).attendance) == (Decimal("1.50"), "no_show")
    page = _follow(client, client.post(url, data=data))
    assert "Nothing has changed." in page
    data = _roster_form(slot.id, [(one, "attended", "2"), (two, "no_show", "2")])
    assert "Attendance of Gärtner 0 has been saved." in _follow(client, client.post(url, data=data))


def test_hours_of_someone_who_did_not_come_are_not_asked_for(client, login_as, w):
    slot, (one, two) = _past_slot(w)
    login_as(w.coordinator_a)
    data = _roster_form(slot.id, [(one, "attended", "2"), (two, "no_show", "25")])
    response = client.post(f"/termine/{slot.id}/besetzung/anwesenheit", data=data)
    assert response.status_code == 302
    assert (reload(two).attendance, reload(two).hours) == ("no_show", Decimal("0.00"))


@pytest.mark.parametrize(
    ("attendance", "hours", "message"),
    [
        ("attended", "25", "Please enter between 0 and 24 hours."),
        ("attended", "zwei", "Please enter the hours as a number with at most two decimals"),
        ("vielleicht", "1", "Please choose"),
    ],
)
def test_a_wrong_value_on_the_roster_saves_nothing_and_says_where(
    client, login_as, w, attendance, hours, message
):
    slot, (one, two) = _past_slot(w)
    english(login_as(w.coordinator_a))
    data = _roster_form(slot.id, [(one, "attended", "2"), (two, attendance, hours)])
    response = client.post(f"/termine/{slot.id}/besetzung/anwesenheit", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing has been saved. Please correct the marked entries" in page
    row = page[page.index(f'id="person-{two.id}"') :]
    row = row[: row.index("</li>")]
    assert message in row and f'value="{hours}"' in row  # as typed, at the row
    assert f'href="#hours-{two.id}">Gärtner 1<' in page  # named in the summary
    assert reload(one).attendance is None and reload(two).attendance is None


def test_roster_attendance_for_a_signup_of_another_slot_is_not_found(client, login_as, w):
    slot, (one, _two) = _past_slot(w)
    login_as(w.coordinator_a)
    data = _roster_form(slot.id, [(w.soon_vera, "attended", "2")])
    assert client.post(f"/termine/{slot.id}/besetzung/anwesenheit", data=data).status_code == 404
    assert reload(w.soon_vera).attendance is None and reload(one).attendance is None
