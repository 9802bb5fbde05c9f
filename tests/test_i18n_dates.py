"""The fast date filters and URL patterns give exactly what Flask-Babel and url_for give.

``i18n.berlin_date`` & co. (the ``date``, ``time`` and ``datetime`` filters, the
coordinators' ``slot_day``/``slot_hours``) look patterns up once and keep texts in caches;
``common.urls.url_pattern`` builds a row's link from one url_for per page. Both must be
byte-identical to the slow way, in every language, for any moment (clock changes included).
"""

from __future__ import annotations

import datetime as dt

import pytest
from babel.dates import format_skeleton
from flask import render_template_string, url_for
from flask_babel import force_locale, format_date, format_datetime, format_time, get_locale
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import config
from volunteer_app import create_app, i18n
from volunteer_app.common.time import to_berlin
from volunteer_app.common.urls import UrlPattern, url_pattern
from volunteer_app.db import MAX_ID

LANGUAGES = ("de", "en", "uk", "ar", "ru", "pl", "ro", "fa_AF")
NAMED = ("short", "medium", "long", "full")
# Patterns the code passes besides the named formats (activities, messaging, rooms, weeks).
PATTERNS = ("EEEE", "EEE, dd.MM.yyyy HH:mm", "d. MMMM", "HH:mm zzzz", "h:mm a v", "yyyy-MM-dd")
SKELETONS = ("MMMEd", "MMMMd", "yMMdd", "EEEEd", "Hm")

# Naive UTC, as stored, around both clock changes of 2026 and a leap day.
SPRING = dt.datetime(2026, 3, 29, 1, 0)  # 03:00 CEST: the hour 02:00–03:00 does not exist
AUTUMN_FIRST = dt.datetime(2026, 10, 25, 0, 30)  # 02:30 CEST …
AUTUMN_SECOND = dt.datetime(2026, 10, 25, 1, 30)  # … and an hour later 02:30 CET again
EDGES = (
    SPRING - dt.timedelta(minutes=1),
    SPRING,
    AUTUMN_FIRST,
    AUTUMN_SECOND,
    dt.datetime(2028, 2, 28, 23, 30),  # 29 February in Berlin
    dt.datetime(2026, 12, 31, 23, 0),  # New Year in Berlin
)
# pytz, behind Flask-Babel, has the zone's rules up to 2037 only (see the last test).
moments = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2037, 12, 31))


@pytest.fixture(scope="module")
def app():
    return create_app(config.TestingConfig, DATABASE_URL="sqlite:///:memory:")


def _same(fast, slow, *args):
    """Both give the same text, or both refuse with the same kind of error."""
    try:
        expected = slow(*args)
    except Exception as exc:  # a pattern that does not fit the value (time fields on a date)
        with pytest.raises(type(exc)):
            fast(*args)
        return
    assert fast(*args) == expected, args


def _check(app, value: dt.datetime, language: str) -> None:
    with app.test_request_context("/"), force_locale(language):
        for fmt in NAMED + PATTERNS:
            _same(i18n.berlin_datetime, format_datetime, value, fmt)
            _same(i18n.berlin_date, format_date, value, fmt)
            _same(i18n.berlin_date, format_date, value.date(), fmt)
            _same(i18n.berlin_time, format_time, value, fmt)
        locale = get_locale()
        for skeleton in SKELETONS:
            assert i18n.berlin_skeleton(skeleton, value) == format_skeleton(
                skeleton, to_berlin(value), locale=locale
            )
            assert i18n.berlin_skeleton(skeleton, value.date()) == format_skeleton(
                skeleton, value.date(), locale=locale
            )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("value", EDGES, ids=lambda v: v.isoformat())
def test_clock_changes_and_day_ends_equal_flask_babel(app, value, language):
    _check(app, value, language)
    _check(app, value.replace(tzinfo=dt.UTC), language)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(moment=moments, aware=st.booleans(), language=st.sampled_from(LANGUAGES))
def test_any_moment_equals_flask_babel(app, moment, aware, language):
    _check(app, moment.replace(tzinfo=dt.UTC) if aware else moment, language)


def test_after_2037_the_zone_follows_the_rules_as_the_rest_of_the_app(app):
    """pytz (behind Flask-Babel) knows no clock changes after 2037; the filters convert as
    ``common.time.to_berlin`` (zoneinfo) does everywhere else: summer time in April 2038."""
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        moment = dt.datetime(2038, 4, 1, 10, 0)
        assert i18n.berlin_time(moment) == f"{to_berlin(moment):%H:%M}" == "12:00"


@pytest.mark.parametrize("language", ["de", "en", "ar", "fa-AF"])
def test_the_filters_in_a_page_equal_flask_babel(app, language):
    source = (
        "{{ v|date('full') }}|{{ v|time }}|{{ v|datetime('short') }}|{{ v|datetime }}"
        "|{{ v|date }}|{{ d|date('long') }}|{{ v|slot_day }}|{{ s|slot_hours }}"
    )

    class Slot:
        starts_at, ends_at = AUTUMN_FIRST, AUTUMN_SECOND

    with app.test_request_context("/", headers={"Accept-Language": language}):
        for value in EDGES:
            day = value.date()
            expected = "|".join(
                [
                    format_date(value, "full"),
                    format_time(value, "short").replace(" ", "\u00a0"),
                    format_datetime(value, "short"),
                    format_datetime(value, "medium"),
                    format_date(value, "medium"),
                    format_date(day, "long"),
                    format_skeleton("MMMEd", to_berlin(value), locale=get_locale()),
                    f"{format_time(AUTUMN_FIRST, 'short')}–{format_time(AUTUMN_SECOND, 'short')}",
                ]
            )
            assert render_template_string(source, v=value, d=day, s=Slot) == expected


def test_mails_keep_their_language(app):
    """Inside force_locale (a mail in the recipient's language) the filters follow it."""
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert render_template_string("{{ v|date('full') }}", v=SPRING) == "Sonntag, 29. März 2026"
        with force_locale("uk"):
            assert render_template_string("{{ v|date('full') }}", v=SPRING) == format_date(
                SPRING, "full"
            )
            assert "березня" in render_template_string("{{ v|date('full') }}", v=SPRING)


def test_other_values_go_to_flask_babel(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert i18n.berlin_time(dt.time(14, 5)) == format_time(dt.time(14, 5), "short")
        assert i18n.berlin_datetime(SPRING, None) == format_datetime(SPRING, None)
        assert render_template_string("[{{ v|date }}{{ v|time }}{{ v|datetime }}]", v=None) == "[]"


# --- URL patterns --------------------------------------------------------------------------------

ROUTES = (
    ("coordination.roster", "slot_id", {}),
    ("activities.edit_slot", "slot_id", {}),
    ("activities.cancel_slot", "slot_id", {}),
    ("signups.show_slot", "slot_id", {}),
    ("programme.show_activity", "activity_id", {"slug": "regenbogenhaus"}),
    ("activities.show_activity", "activity_id", {"slug": "zentrum-987654"}),
    ("coordination.roster", "slot_id", {"_anchor": "pending"}),
    ("signups.browse", "seite", {"centre": 5}),  # the id in the query string
)


@settings(max_examples=100, deadline=None)
@given(ids=st.lists(st.integers(min_value=1, max_value=MAX_ID), min_size=1, max_size=5))
@example(ids=[1, 9, 10, 987654321, MAX_ID])
def test_url_patterns_equal_url_for(app, ids):
    with app.test_request_context("/"):
        for endpoint, key, values in ROUTES:
            pattern = url_pattern(endpoint, key, **values)
            for row_id in ids:
                assert pattern(row_id) == url_for(endpoint, **values, **{key: row_id})


def test_a_url_pattern_falls_back_to_url_for_when_it_cannot_tell(app):
    with app.test_request_context("/"):
        # The placeholder's digits also in another value: url_for for each id.
        pattern = UrlPattern("activities.show_activity", "activity_id", slug="987654321")
        assert pattern._before is None
        assert pattern(12) == url_for("activities.show_activity", slug="987654321", activity_id=12)
        # An id that is not a plain int (a bool, a string) is url_for's business.
        roster = url_pattern("coordination.roster", "slot_id")
        assert roster("7") == url_for("coordination.roster", slot_id="7")
