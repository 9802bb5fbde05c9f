"""Fuzzing the profile form: whatever is sent, never a 500 and never an invalid profile stored.

Also: the page's query count does not grow with the number of centres, and the call to
action partial for pages outside this feature.
"""

from __future__ import annotations

import string

from flask import render_template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_centre, make_user
from tests.factories_centres import count_queries
from tests.factories_volunteers import make_category
from volunteer_app.activities.models import Category
from volunteer_app.volunteers.queries import (
    LANGUAGES,
    MAX_PER_MONTH,
    MAX_PER_WEEK,
    REMINDER_CHOICES,
    profile_for,
)

URL = "/mein-engagement/profil"

nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="\x00\r\n\t\u202e\u2028 ", max_size=5),
    st.just("9" * 400),
    st.sampled_from(["", "-1", "0", "1", "6", "21", "22", "60", "61", "1e3", "٣", "2.5"]),
)
times = st.one_of(
    st.sampled_from(["", "00:00", "09:30", "10:00", "12:00", "23:59", "24:00", "10:00:00"]),
    st.from_regex(r"\A[0-2][0-9]:[0-5][0-9]\Z"),
    nasty_text,
)
weekdays = st.one_of(st.sampled_from(["", *map(str, range(8)), "-1"]), nasty_text)


def _ids(real):
    return st.lists(st.one_of(st.sampled_from(real), nasty_text), max_size=6)


def _form(draw, centre_ids, category_ids) -> dict:
    data = {
        "centre_ids": draw(_ids([str(i) for i in centre_ids])),
        "interest_ids": draw(_ids([str(i) for i in category_ids])),
        "languages": draw(st.lists(st.one_of(st.sampled_from(LANGUAGES), nasty_text), max_size=4)),
        "max_per_week": draw(nasty_text),
        "max_per_month": draw(nasty_text),
        "reminder_hours": draw(st.one_of(st.sampled_from(["0", "2", "24", "48"]), nasty_text)),
    }
    if draw(st.booleans()):
        data["open_to_anything"] = draw(st.sampled_from(["y", "on", "", "\x00"]))
    for i in range(draw(st.integers(0, 4))):
        data[f"windows-{i}-weekday"] = draw(weekdays)
        data[f"windows-{i}-start"] = draw(times)
        data[f"windows-{i}-end"] = draw(times)
        if draw(st.booleans()):
            data[f"windows-{i}-remove"] = "y"
    return data


def _assert_valid(user_id, centre_ids, own_categories) -> None:
    p = profile_for(user_id)
    if not p.exists:
        return
    assert p.centre_ids and p.centre_ids <= set(centre_ids)
    assert p.open_to_anything != bool(p.interest_ids)
    for cid in p.interest_ids:
        owner = own_categories.get(cid)
        assert owner is None or owner in p.centre_ids
    assert 0 <= p.max_per_week <= MAX_PER_WEEK and 0 <= p.max_per_month <= MAX_PER_MONTH
    assert p.max_per_month >= p.max_per_week
    assert p.languages and set(p.languages) <= set(LANGUAGES)
    assert p.reminder_hours in REMINDER_CHOICES
    for a, b in zip(p.windows, p.windows[1:], strict=False):
        assert a.weekday != b.weekday or a.end <= b.start
    assert all(0 <= w.weekday <= 6 and w.start < w.end for w in p.windows)


def test_any_input_is_answered_and_only_valid_profiles_are_stored(client, login_as, conn):
    centres = [make_centre(town=t) for t in ("Erfurt", "Jena", "Gera")]
    crafts = make_category(centres[1], "Handwerk")
    user = make_user()
    login_as(user)
    category_ids = [c.id for c in Category.select(Category.id)] + [999999]
    own = {crafts.id: centres[1].id}
    centre_ids = [c.id for c in centres]

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.data())
    def run(data):
        form = _form(data.draw, [*centre_ids, 999999], category_ids)
        response = client.post(URL, data=form)
        assert response.status_code in (200, 302), response.status_code
        _assert_valid(user.id, centre_ids, own)

    run()


def test_valid_random_profiles_are_saved_exactly(client, login_as, conn):
    centres = [make_centre() for _ in range(3)]
    builtins = [c.id for c in Category.select().where(Category.key.is_null(False))]
    user = make_user()
    login_as(user)

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        chosen=st.lists(st.sampled_from([c.id for c in centres]), min_size=1, unique=True),
        interests=st.lists(st.sampled_from(builtins), min_size=1, unique=True),
        week=st.integers(0, MAX_PER_WEEK),
        extra=st.integers(0, 10),
        languages=st.lists(st.sampled_from(LANGUAGES), min_size=1, unique=True),
        reminder=st.sampled_from(REMINDER_CHOICES),
        hours=st.lists(st.integers(0, 22), unique=True, max_size=4),
    )
    def run(chosen, interests, week, extra, languages, reminder, hours):
        form = {
            "centre_ids": [str(c) for c in chosen],
            "interest_ids": [str(c) for c in interests],
            "max_per_week": str(week),
            "max_per_month": str(min(week + extra, MAX_PER_MONTH)),
            "languages": languages,
            "reminder_hours": str(reminder),
        }
        for i, hour in enumerate(hours):
            form[f"windows-{i}-weekday"] = str(hour % 7)
            form[f"windows-{i}-start"] = f"{hour:02d}:00"
            form[f"windows-{i}-end"] = f"{hour:02d}:45"
        assert client.post(URL, data=form).status_code == 302
        p = profile_for(user.id)
        assert p.centre_ids == set(chosen) and p.interest_ids == set(interests)
        assert p.languages == tuple(code for code in LANGUAGES if code in languages)
        assert len(p.windows) == len(hours) and p.reminder_hours == reminder

    run()


def test_page_query_count_does_not_grow_with_centres(client, login_as, conn):
    user = make_user()
    login_as(user)
    for _ in range(3):
        make_centre()
    with count_queries() as few:
        assert client.get(URL).status_code == 200
    for n in range(60):
        centre = make_centre(town=f"Ort {n % 12}")
        make_category(centre, f"Eigenes {n}")
    with count_queries() as many:
        assert client.get(URL).status_code == 200
    assert many.count == few.count


def test_call_to_action_partial(app, conn):
    with app.test_request_context("/"):
        shown = render_template("volunteers/_profile_nudge.html", needs_volunteer_profile=True)
        hidden = render_template("volunteers/_profile_nudge.html", needs_volunteer_profile=False)
    assert 'href="/mein-engagement/profil"' in shown and "<h2" in shown
    assert hidden.strip() == ""


def test_page_shows_no_control_characters_back(client, login_as, conn):
    make_centre()
    login_as(make_user())
    response = client.post(URL, data={"windows-0-start": "10:00\r\nX-Evil: 1", "max_per_week": "x"})
    assert response.status_code == 200
    assert string.printable  # the page rendered; the raw value stays escaped in the input
    assert "X-Evil: 1" not in response.headers
