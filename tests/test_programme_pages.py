"""The families' programme on the public pages: centre page week by week, category filter,
paging, the activity page, the overview, feed announcements and query counts."""

import datetime as dt
import re

import pytest

from tests.factories import builtin, make_activity, make_centre, make_operator
from tests.factories_centres import count_queries, english
from tests.factories_programme import (
    alternate_links,
    freeze_now,
    many_slots,
    programme_centre,
    reading_hour,
    slot_at,
    weeks_of,
)
from volunteer_app.activities.models import Activity, Category

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

# Wednesday 16 December 2026, 12:00 in Berlin: this week starts Monday 14 December, the
# third week shown is the year-end week from Monday 28 December.
NOW = dt.datetime(2026, 12, 16, 11, 0)
WED = dt.date(2026, 12, 16)


@pytest.fixture
def centre(conn, monkeypatch):
    freeze_now(monkeypatch, NOW)
    return programme_centre(operator=make_operator(name="Stadt Jena"))


def german(client):
    with client.session_transaction() as sess:
        sess["lang"] = "de"
    return client


def get(client, url: str) -> str:
    response = english(client).get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_weeks_this_next_and_week_of_with_entry_details(client, centre):
    reading = reading_hour(centre)
    slot_at(reading, WED, 8, hours=1)  # ended this morning: not shown
    slot_at(reading, WED, 15, 30)  # later today
    slot_at(reading, dt.date(2026, 12, 22), 15, 30)
    slot_at(reading, dt.date(2026, 12, 31), 10)
    slot_at(reading, dt.date(2027, 1, 1), 11)
    page = get(client, "/zentren/pusteblume")
    weeks = weeks_of(page)
    assert [w[0] for w in weeks] == ["This week", "Next week", "Week of December 28"]
    this_week, next_week, year_end = (w[1] for w in weeks)
    assert "Wednesday, December 16" in this_week and "Today" in this_week
    assert "3:30\u202fPM" in this_week or "3:30 PM" in this_week
    assert "8:00" not in this_week
    assert "Tuesday, December 22" in next_week
    assert "Thursday, December 31" in year_end and "Friday, January 1, 2027" in year_end
    for text in (
        "Vorlesestunde",
        "Reading aloud",
        "Leseecke im Erdgeschoss",
        # The centre's German words on an English page are marked so.
        'For: <bdi lang="de">Kinder von 3 bis 6 Jahren mit ihren Eltern</bdi>',
        f'href="/zentren/pusteblume/programm/{reading.id}"',
    ):
        assert text in this_week, text
    # The centre itself is still there: about, address, contact, operator.
    for text in ("Lindenweg 5", "07743 Jena", "mailto:pusteblume@example.org", "Stadt Jena"):
        assert text in page


def test_page_says_so_when_there_is_nothing(client, centre):
    page = get(client, "/zentren/pusteblume")
    assert page.count("No dates this week.") == 3
    assert "There are no further dates at the moment" in page
    assert 'rel="next"' not in page and 'rel="prev"' not in page


def test_german_headings(client, centre):
    slot_at(reading_hour(centre), dt.date(2026, 12, 29), 10)
    page = client.get("/zentren/pusteblume").get_data(as_text=True)
    assert [w[0] for w in weeks_of(page)] == [
        "Diese Woche",
        "Nächste Woche",
        "Woche vom 28. Dezember",
    ]
    assert "Dienstag, 29. Dezember" in page
    assert "Kalender abonnieren" in page


def test_later_weeks_by_paging(client, centre):
    reading = reading_hour(centre)
    slot_at(reading, WED, 16)
    slot_at(reading, dt.date(2027, 1, 19), 10)  # two weeks after the page ends
    page = get(client, "/zentren/pusteblume")
    later = re.search(
        r'<a[^>]*rel="next"[^>]*href="([^"]*)"|<a[^>]*href="([^"]*)"[^>]*rel="next"', page
    )
    href = (later.group(1) or later.group(2)).replace("&amp;", "&")
    assert href == "/zentren/pusteblume?ab=2027-01-18#programm"
    assert "Further dates from Tue, Jan 19" in page
    assert 'rel="prev"' not in page

    second = get(client, "/zentren/pusteblume?ab=2027-01-18")
    weeks = weeks_of(second)
    assert [w[0] for w in weeks] == [
        "Week of January 18, 2027",
        "Week of January 25, 2027",
        "Week of February 1, 2027",
    ]
    assert "Tuesday, January 19, 2027" in weeks[0][1]
    assert 'href="/zentren/pusteblume?ab=2026-12-28#programm"' in second  # three weeks back
    assert "There are no further dates" not in second
    # Any day of a week opens that week; ?woche= works too.
    assert weeks_of(get(client, "/zentren/pusteblume?woche=2027-01-21"))[0][0] == (
        "Week of January 18, 2027"
    )


@pytest.mark.parametrize("ab", ["2020-01-01", "kaputt", "9999-12-31", "2026-13-45", ""])
def test_odd_start_dates_still_show_a_programme(client, centre, ab):
    page = get(client, f"/zentren/pusteblume?ab={ab}")
    first = weeks_of(page)[0][0]
    if ab.startswith("9999"):
        assert first.startswith("Week of")  # clamped to the last week one can page to
    else:
        assert first == "This week"


def test_category_filter(client, centre):
    reading = reading_hour(centre)
    baking = make_activity(centre, category_key="baking", title="Plätzchen backen")
    own = Category.create(centre=centre, name="Handwerk")
    repair = make_activity(centre, category=own, title="Reparaturcafé")
    for activity in (reading, baking, repair):
        slot_at(activity, dt.date(2026, 12, 17), 10)
    page = get(client, "/zentren/pusteblume")
    boxes = re.findall(r'<input type="checkbox" name="kategorie" value="(\d+)"', page)
    assert sorted(map(int, boxes)) == sorted([builtin("reading").id, builtin("baking").id, own.id])
    assert 'method="get"' in page  # works without JavaScript

    rid, bid = builtin("reading").id, builtin("baking").id
    only = get(client, f"/zentren/pusteblume?kategorie={rid}")
    assert (
        "Vorlesestunde" in only and "Plätzchen backen" not in only and "Reparaturcafé" not in only
    )
    assert re.search(rf'value="{rid}" checked', only)
    assert "Showing only: Reading aloud" in only

    two = get(client, f"/zentren/pusteblume?kategorie={rid}&kategorie={bid}&kategorie=x")
    assert "Vorlesestunde" in two and "Plätzchen backen" in two and "Reparaturcafé" not in two

    # A category that is not on offer here is ignored rather than hiding everything.
    other = make_centre()
    foreign = Category.create(centre=other, name="Fremd")
    every = get(client, f"/zentren/pusteblume?kategorie={foreign.id}&kategorie=99999")
    assert "Vorlesestunde" in every and "Reparaturcafé" in every
    assert "Showing only" not in every


def test_filter_is_kept_when_paging(client, centre):
    reading = reading_hour(centre)
    baking = make_activity(centre, category_key="baking", title="Plätzchen backen")
    slot_at(reading, dt.date(2027, 1, 12), 10)
    slot_at(baking, dt.date(2027, 1, 5), 10)
    rid = builtin("reading").id
    page = get(client, f"/zentren/pusteblume?kategorie={rid}")
    # The next reading date (12 Jan), not the earlier baking date, decides where "later" goes.
    assert f'href="/zentren/pusteblume?ab=2027-01-11&amp;kategorie={rid}#programm"' in page


def test_non_public_and_other_centres_activities_are_never_shown(client, centre):
    public = reading_hour(centre)
    hidden = make_activity(centre, title="Teamsitzung intern", is_public=False)
    other_centre = make_centre(slug="anderswo", town="Gera")
    foreign = make_activity(other_centre, title="Fremdes Angebot")
    for activity in (public, hidden, foreign):
        slot_at(activity, dt.date(2026, 12, 17), 10)
    page = get(client, "/zentren/pusteblume")
    assert "Vorlesestunde" in page
    assert "Teamsitzung intern" not in page and "Fremdes Angebot" not in page
    assert client.get(f"/zentren/pusteblume/programm/{hidden.id}").status_code == 404
    assert client.get(f"/zentren/pusteblume/programm/{foreign.id}").status_code == 404
    assert client.get(f"/zentren/anderswo/programm/{public.id}").status_code == 404
    assert client.get("/zentren/gibt-es-nicht/programm/1").status_code == 404
    assert client.get(f"/zentren/anderswo/programm/{foreign.id}").status_code == 200
    # Made private later: gone from the page and the overview count.
    Activity.update(is_public=False).where(Activity.id == public.id).execute()
    assert "Vorlesestunde" not in get(client, "/zentren/pusteblume")
    assert client.get(f"/zentren/pusteblume/programm/{public.id}").status_code == 404


def test_cancelled_dates_are_marked(client, centre):
    reading = reading_hour(centre)
    slot_at(reading, dt.date(2026, 12, 17), 10, status="cancelled")
    slot_at(reading, dt.date(2026, 12, 18), 10)
    page = get(client, "/zentren/pusteblume")
    entries = re.findall(r'<li class="entry [^"]*">.*?</li>', page, re.S)
    assert len(entries) == 2
    cancelled = [e for e in entries if "is-cancelled" in e]
    assert len(cancelled) == 1 and "Cancelled" in cancelled[0] and "10:00" in cancelled[0]
    assert "Cancelled" not in next(e for e in entries if "is-cancelled" not in e)
    assert "Abgesagt" in german(client).get("/zentren/pusteblume").get_data(as_text=True)

    activity_page = get(client, f"/zentren/pusteblume/programm/{reading.id}")
    dates = re.findall(r"<li class=\"(is-cancelled)?\">.*?</li>", activity_page, re.S)
    assert dates == ["is-cancelled", ""]


def test_activity_page(client, centre):
    reading = reading_hour(centre)
    for n in range(14):
        slot_at(reading, dt.date(2026, 12, 17) + dt.timedelta(weeks=n), 15, 30)
    from tests.factories_activities import make_series

    make_series(reading, start_date=dt.date(2026, 12, 17), start_time=dt.time(15, 30))
    page = get(client, f"/zentren/pusteblume/programm/{reading.id}")
    for text in (
        '<h1 lang="de">Vorlesestunde</h1>',  # German on an English page
        "Reading aloud",
        "Kinder von 3 bis 6 Jahren mit ihren Eltern",
        "Leseecke im Erdgeschoss",
        "<p>Bilderbücher, vorgelesen.</p>",
        "<p>Danach Zeit zum Anschauen.</p>",
        "Lindenweg 5",
        "07743 Jena",
        "Weekly on Thursday",
        "Thursday, December 17",
        "Further dates are in the centre",
        'href="/zentren/pusteblume/kalender"',
        f'href="/zentren/pusteblume?kategorie={builtin("reading").id}#programm"',
    ):
        assert text in page, text
    assert page.count('class="date-day"') == 12  # the rest are in the calendar
    assert "Thursday, March 18, 2027" not in page


def test_activity_without_dates(client, centre):
    reading = reading_hour(centre)
    slot_at(reading, dt.date(2026, 12, 1), 10)  # past
    page = get(client, f"/zentren/pusteblume/programm/{reading.id}")
    assert "No dates are planned at the moment" in page
    assert "Tuesday, December 1" not in page


def test_overview_by_town_with_next_date_and_count(client, centre):
    reading = reading_hour(centre)
    slot_at(reading, WED, 9, hours=0.5)  # started already: not "next"
    slot_at(reading, dt.date(2026, 12, 17), 15, 30, status="cancelled")
    slot_at(reading, dt.date(2026, 12, 18), 9)
    slot_at(reading, dt.date(2027, 1, 12), 9)
    slot_at(reading, dt.date(2027, 3, 1), 9)  # beyond four weeks
    slot_at(make_activity(centre, is_public=False, title="Intern"), WED, 20)
    make_centre(name="ThEKiZ Gotha", slug="gotha", town="Gotha")
    page = get(client, "/zentren/")
    assert page.index('<h2 id="town-1">Gotha</h2>') < page.index('<h2 id="town-2">Jena</h2>')
    jena = page[page.index("town-2") :]
    gotha = page[page.index("town-1") : page.index("town-2")]
    assert "Next date" in jena and "Fri, Dec 18, 9:00" in jena.replace("\u202f", " ")
    assert "2 dates in the next four weeks" in jena
    assert 'href="/zentren/pusteblume#programm"' in jena
    assert "No dates planned at the moment" in gotha
    in_german = german(client).get("/zentren/").get_data(as_text=True)
    assert "Fr., 18. Dez., 09:00 Uhr" in in_german
    assert "2 Termine in den nächsten vier Wochen" in in_german


def test_pages_announce_the_family_feed(client, centre):
    reading = reading_hour(centre)
    slot_at(reading, dt.date(2026, 12, 17), 10)
    feed = "http://localhost/zentren/pusteblume/kalender.ics"
    page = get(client, "/zentren/pusteblume")
    # The calendar in the page's language: English here, German without a parameter.
    assert alternate_links(page) == [f"{feed}?lang=en"]
    german_page = german(client).get("/zentren/pusteblume").get_data(as_text=True)
    assert alternate_links(german_page) == [feed]
    assert re.search(
        r'<link rel="alternate" type="text/calendar" title="Calendar of ThEKiZ Pusteblume"', page
    )
    assert 'href="/zentren/pusteblume/kalender"' in page  # visible "Subscribe" link

    rid, bid = builtin("reading").id, builtin("baking").id
    slot_at(make_activity(centre, category_key="baking"), dt.date(2026, 12, 17), 12)
    filtered = get(client, f"/zentren/pusteblume?kategorie={bid}&kategorie={rid}")
    ids = sorted([rid, bid])
    assert alternate_links(filtered) == [f"{feed}?kategorie={ids[0]}&kategorie={ids[1]}&lang=en"]
    assert (
        f'href="/zentren/pusteblume/kalender?kategorie={ids[0]}&amp;kategorie={ids[1]}"' in filtered
    )

    activity_page = get(client, f"/zentren/pusteblume/programm/{reading.id}")
    assert alternate_links(activity_page) == [f"{feed}?lang=en"]
    assert alternate_links(get(client, "/zentren/")) == []


def test_centre_page_query_count_is_constant_in_slots(app, client, centre):
    app.config["PUBLIC_PAGE_CACHE_BYTES"] = 0  # each request renders (else: kept, one query)
    reading = reading_hour(centre)
    baking = make_activity(centre, category_key="baking")
    many_slots(reading, WED, 5)
    many_slots(baking, WED, 5)
    url = "/zentren/pusteblume"
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    many_slots(reading, WED + dt.timedelta(days=5), 150)
    many_slots(baking, WED + dt.timedelta(days=5), 140)
    client.get(url)  # after a change, the first request also finds the dates' next start or end
    with count_queries() as many:
        assert client.get(url).status_code == 200
    # the centre's revision (ETag), centre, categories on offer, entries, consultation hours,
    # next date after the page, closing days, public partners, realised wishes
    assert few.count == many.count == 9
    filtered_url = f"{url}?kategorie={builtin('reading').id}&ab=2027-01-04"
    with count_queries() as filtered:
        assert client.get(filtered_url).status_code == 200
    assert filtered.count == 8  # a category filter leaves out the consultation hours


def test_activity_page_query_count_is_constant_in_slots(app, client, centre):
    app.config["PUBLIC_PAGE_CACHE_BYTES"] = 0  # each request renders (else: kept, one query)
    reading = reading_hour(centre)
    many_slots(reading, WED, 10)
    url = f"/zentren/pusteblume/programm/{reading.id}"
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    many_slots(reading, WED + dt.timedelta(days=10), 290)
    client.get(url)  # after a change, the first request also finds the dates' next start or end
    with count_queries() as many:
        assert client.get(url).status_code == 200
    # the centre's revision (ETag), centre, activity, dates, schedules
    assert few.count == many.count == 5


def test_overview_query_count_is_constant(client, centre):
    reading = reading_hour(centre)
    many_slots(reading, WED, 10)
    client.get("/zentren/")
    with count_queries() as few:
        client.get("/zentren/")
    for n in range(5):
        other = make_centre(town=f"Ort {n}")
        many_slots(make_activity(other), WED, 60)
    with count_queries() as many:
        client.get("/zentren/")
    assert few.count == many.count == 1


def test_the_overview_lists_fifty_centres_a_page(client, centre):
    towns = [f"Ort {n:02d}" for n in range(52)]
    for town in reversed(towns):
        make_centre(name=f"ThEKiZ {town}", slug=f"ort-{town[-2:]}", town=town)
    first = get(client, "/zentren/")
    # By town: the centre in Jena, then the first 49 places.
    assert first.count('class="card centre-card"') == 50
    assert first.index("ThEKiZ Pusteblume") < first.index("ThEKiZ Ort 00")
    assert "ThEKiZ Ort 48" in first and "Ort 49" not in first
    assert 'rel="next" href="/zentren/?seite=2"' in first and 'rel="prev"' not in first
    assert "Page 1" in first
    with count_queries() as counted:
        second = get(client, "/zentren/?seite=2")
    assert counted.count == 1
    assert second.count('class="card centre-card"') == 3
    assert second.index("ThEKiZ Ort 49") < second.index("ThEKiZ Ort 50") < second.index("Ort 51")
    assert 'rel="prev" href="/zentren/?seite=1"' in second and 'rel="next"' not in second
    past = get(client, "/zentren/?seite=9")
    assert 'class="card centre-card"' not in past and 'rel="prev"' in past
    assert "No centres have been set up yet." not in past
