"""What the feeds say, read back by four independent readers and compared with the database.

Times are compared in naive UTC with the Slot rows: recurring-ical-events and ical.js (run in
Node) must find exactly the database's instants, also on both daylight-saving Sundays.
"""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from tests.factories_activities import last_sunday
from tests.factories_feeds import (
    days_from_today,
    family_url,
    link_of,
    make_activity,
    make_centre,
    make_coordinator,
    make_signup,
    make_slot,
    make_user,
    private_url,
)
from tests.ical_check import assert_valid, icaljs_events, recurring_events
from volunteer_app.activities.models import Activity, ActivityText, Slot
from volunteer_app.activities.recurrence import berlin_to_utc
from volunteer_app.centres.queries import today
from volunteer_app.db import utcnow
from volunteer_app.feeds import content
from volunteer_app.feeds.builders import slot_uid

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

FAR = (dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1))


@pytest.fixture
def centre(conn):
    return make_centre(
        name="Familienzentrum Am Anger", slug="anger", street="Anger 1", postcode="99084"
    )


def _db_rows(slots) -> list[tuple]:
    return sorted((slot_uid(s.id), s.starts_at, s.ends_at) for s in slots)


def _times(events) -> list[tuple]:
    return sorted((e[0], e[1], e[2]) for e in events)


def _family(client, centre, *ids, **args) -> bytes:
    resp = client.get(family_url(centre, *ids, **args))
    assert resp.status_code == 200, resp.data
    return resp.data


def dst_change_in_window(month: int) -> dt.date:
    """The last Sunday of March (3) or October (10) that the feed window holds with three weeks
    to spare on either side: the next one can be over a year away (on the Friday before a
    change), the window reaches 60 days back and 365 ahead."""
    first, last = today() - dt.timedelta(days=35), today() + dt.timedelta(days=340)
    year = today().year
    return next(
        day
        for day in (last_sunday(y, month) for y in (year - 1, year, year + 1))
        if first <= day <= last
    )


def test_readers_agree_with_the_database_on_dst_sundays(client, centre):
    activity = make_activity(centre, title="Sonntagsfrühstück")
    spring, autumn = dst_change_in_window(3), dst_change_in_window(10)
    slots = [
        make_slot(activity, spring, dt.time(1, 30), dt.time(3, 30)),  # across the jump
        make_slot(activity, spring, dt.time(10), dt.time(12)),
        make_slot(activity, autumn, dt.time(1, 0), dt.time(4, 0)),  # across the repeated hour
        make_slot(activity, autumn, dt.time(10), dt.time(12)),
    ]
    # 01:30–03:30 on the spring Sunday lasts one hour; 01:00–04:00 in autumn four.
    assert slots[0].ends_at - slots[0].starts_at == dt.timedelta(hours=1)
    assert slots[2].ends_at - slots[2].starts_at == dt.timedelta(hours=4)
    data = _family(client, centre)
    # the readers (recurring-ical-events, vobject, ical.js) agree with icalendar on these
    assert _times(assert_valid(data)) == _db_rows(slots)


def test_a_weekly_series_across_the_change_keeps_its_wall_clock_time(client, centre):
    activity = make_activity(centre, title="Krabbelgruppe")
    change = dst_change_in_window(10)
    days = [change + dt.timedelta(weeks=w) for w in range(-3, 3)]
    slots = [
        make_slot(activity, d + dt.timedelta(days=2), dt.time(9, 30), dt.time(11)) for d in days
    ]
    data = _family(client, centre)
    assert _times(icaljs_events(data)) == _db_rows(slots)
    assert _times(recurring_events(data, *FAR)) == _db_rows(slots)
    assert {s.starts_at.hour for s in slots} == {7, 8}  # UTC moves, Berlin stays 9:30
    assert data.count(b"DTSTART;TZID=Europe/Berlin:") == 6
    assert b"T093000" in data and b"T083000" not in data


def test_special_characters_in_titles_survive(client, centre):
    title = 'Größe & „Spaß" 🎉, Teil; 1 \\ zwei'
    activity = make_activity(centre, title=title, place="Raum 1;2, oben")
    # (PostgreSQL refuses NUL in text, so the row carries only what it can store.)
    Activity.update(description="Zeile eins\nZeile\x07 zwei\x1b mit \u2028Trenner").where(
        Activity.id == activity.id
    ).execute()
    make_slot(activity, days_from_today(5))
    events = assert_valid(_family(client, centre), details=True)
    assert events[0][3] == title
    description, location = events[0][5], events[0][6]
    assert description == "Zeile eins\nZeile zwei mit Trenner"
    assert location.startswith("Raum 1;2, oben, Familienzentrum Am Anger")


def test_empty_feed_is_valid(client, centre):
    data = _family(client, centre)
    assert assert_valid(data) == []
    assert b"BEGIN:VTIMEZONE" in data and b"X-WR-CALNAME:Familienzentrum Am Anger: Programm" in data


def test_cancelled_slot_shown_until_its_day_is_over_then_gone(app, conn, centre):
    activity = make_activity(centre, title="Backen")
    slot = make_slot(activity, days_from_today(3))
    Slot.update(status="cancelled", cancelled_at=utcnow(), sequence=1).where(
        Slot.id == slot.id
    ).execute()
    day = days_from_today(3)

    def events_on(on: dt.date):
        with app.test_request_context():
            return assert_valid(content.family_feed(centre, [], "de", on).render())

    assert events_on(today())[0][3:5] == ("Abgesagt: Backen", "CANCELLED")
    assert len(events_on(day)) == 1  # on the day itself still there
    assert events_on(day + dt.timedelta(days=1)) == []  # the next day gone


def test_moved_slot_has_a_higher_sequence(client, centre):
    activity = make_activity(centre)
    slot = make_slot(activity, days_from_today(4))
    before = _family(client, centre)
    assert b"SEQUENCE:0" in before
    later = slot.starts_at + dt.timedelta(hours=2)
    Slot.update(
        starts_at=later,
        ends_at=later + dt.timedelta(hours=2),
        sequence=Slot.sequence + 1,
        updated_at=utcnow(),
    ).where(Slot.id == slot.id).execute()
    after = _family(client, centre)
    assert b"SEQUENCE:1" in after
    assert _times(icaljs_events(after))[0][1] == later


def test_family_feed_shows_public_slots_only_with_category_filter(client, centre, conn):
    reading = make_activity(centre, title="Vorlesen", category_key="reading")
    baking = make_activity(centre, title="Backen", category_key="baking")
    hidden = make_activity(centre, title="Teamsitzung", is_public=False)
    other = make_activity(make_centre(), title="Anderswo")
    for a in (reading, baking, hidden, other):
        make_slot(a, days_from_today(6))
    titles = {e[3] for e in assert_valid(_family(client, centre))}
    assert titles == {"Vorlesen", "Backen"}
    only = assert_valid(_family(client, centre, baking.category_id))
    assert {e[3] for e in only} == {"Backen"}
    both = _family(client, centre, baking.category_id, reading.category_id, reading.category_id)
    assert {e[3] for e in assert_valid(both)} == {"Vorlesen", "Backen"}
    # Unknown or foreign categories and garbage are a 404, always.
    assert client.get(family_url(centre, 999999)).status_code == 404
    assert client.get(f"/zentren/{centre.slug}/kalender.ics?kategorie=1x").status_code == 404
    assert client.get("/zentren/gibt-es-nicht/kalender.ics").status_code == 404


def test_family_feed_has_no_personal_data(client, centre):
    coordinator = make_coordinator(centre, name="Clara Koordinatorin", email="clara@example.org")
    activity = make_activity(centre, title="Vorlesen", responsible=coordinator)
    slot = make_slot(activity, days_from_today(2))
    person = make_user(
        name="Zacharias Geheimnis", email="zacharias@example.org", phone="0171 999888"
    )
    make_signup(slot, person)
    make_signup(slot, make_user(name="Wanda Warteliste"), status="waitlisted")
    data = _family(client, centre, sprache="en").decode()
    for secret in ("Zacharias", "Geheimnis", "zacharias@", "0171", "Wanda", "Clara", "clara@"):
        assert secret not in data
    assert "VALARM" not in data
    assert "TRANSP:TRANSPARENT" in data
    assert "programme" in data  # English names when asked for


def test_family_feed_in_ukrainian_reads_right_in_every_reader(client, centre):
    """``?lang=uk``: the fixed texts in Ukrainian, titles and descriptions from the
    activities' Ukrainian texts where they exist, German otherwise; all four readers agree."""
    reading = make_activity(centre, title="Vorlesestunde", description="Bilderbücher.")
    ActivityText.create(
        activity=reading, language="uk", title="Година читання", description="Книжки з картинками."
    )
    baking = make_activity(
        centre, title="Backen", description="Wir backen Kekse.", audience="Familien"
    )
    ActivityText.create(activity=baking, language="en", title="Baking", description="")
    make_slot(reading, days_from_today(3))
    cancelled = make_slot(baking, days_from_today(4))
    Slot.update(status="cancelled", sequence=1).where(Slot.id == cancelled.id).execute()

    data = _family(client, centre, lang="uk")
    events = {e[3]: e for e in assert_valid(data, details=True)}
    assert set(events) == {"Година читання", "Скасовано: Backen"}
    assert events["Година читання"][5] == "Книжки з картинками."
    # No Ukrainian text for the baking: the German one, with the audience line in Ukrainian.
    assert events["Скасовано: Backen"][5] == "Wir backen Kekse.\n\nДля кого: Familien"
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["X-WR-CALNAME"]) == "Familienzentrum Am Anger: програма"
    assert "календар" in str(calendar["X-WR-CALDESC"]).lower()

    # German stays German, the old ``?sprache=`` still works, and Dari is spelt either way.
    german = {e[3] for e in assert_valid(_family(client, centre))}
    assert german == {"Vorlesestunde", "Abgesagt: Backen"}
    english = {e[3] for e in assert_valid(_family(client, centre, sprache="en"))}
    assert english == {"Vorlesestunde", "Cancelled: Baking"}
    assert _family(client, centre, lang="en") == _family(client, centre, sprache="en")
    assert _family(client, centre, lang="fa-AF") == _family(client, centre, lang="fa_AF")
    for bad in ("lang=xx", "sprache=xx", "lang=", "lang=de-AT"):
        assert client.get(f"/zentren/{centre.slug}/kalender.ics?{bad}").status_code == 404


def test_staff_feed_shows_fill_level_names_and_unfilled(client, centre):
    coordinator = make_coordinator(centre)
    empty = make_slot(
        make_activity(centre, title="Garten", volunteers_needed=2), days_from_today(2)
    )
    half = make_slot(make_activity(centre, title="Lesen", volunteers_needed=3), days_from_today(3))
    full = make_slot(make_activity(centre, title="Kochen", volunteers_needed=1), days_from_today(4))
    make_signup(half, make_user(name="Anna Amsel"))
    make_signup(half, make_user(name="Ben Buch"))
    make_signup(half, make_user(name="Cleo Wartend"), status="waitlisted")
    make_signup(full, make_user(name="Dora Dampf"))
    _, token = link_of(coordinator, "staff", centre)
    events = assert_valid(client.get(private_url(token)).data, details=True)
    by_uid = {e[0]: e for e in events}
    assert by_uid[slot_uid(empty.id)][3] == "⚠ Unbesetzt: Garten"
    assert by_uid[slot_uid(half.id)][3] == "Noch 1 frei: Lesen"
    assert by_uid[slot_uid(full.id)][3] == "Kochen"
    description = by_uid[slot_uid(half.id)][5]
    assert "2 von 3 besetzt" in description
    assert "Dabei: Anna, Ben" in description and "Warteliste: 1" in description
    assert "Amsel" not in description and "Cleo" not in description
    assert _times(icaljs_events(client.get(private_url(token)).data)) == _db_rows(
        [empty, half, full]
    )


def test_volunteer_feed_only_my_confirmed_slots_with_contact_and_alarm(client, centre):
    centre.contact_phone, centre.contact_email = "0361 12345", "kontakt@anger.example"
    centre.save()
    me, other = make_user(), make_user()
    coordinator = make_coordinator(centre, name="Clara Koordinatorin")
    activity = make_activity(centre, title="Wandern", responsible=coordinator)
    mine = make_slot(activity, days_from_today(3))
    waiting = make_slot(activity, days_from_today(4))
    theirs = make_slot(activity, days_from_today(5))
    make_signup(mine, me)
    make_signup(waiting, me, status="waitlisted")
    make_signup(theirs, other)
    _, token = link_of(me)
    data = client.get(private_url(token)).data
    events = assert_valid(data, details=True)
    assert [e[0] for e in events] == [slot_uid(mine.id)]
    assert "0361 12345" in events[0][5] and "Clara Koordinatorin" in events[0][5]
    assert b"VALARM" not in data
    from volunteer_app.feeds import services

    services.set_reminder(60, actor=me)
    with_alarm = client.get(private_url(token)).data
    assert b"BEGIN:VALARM" in with_alarm and b"TRIGGER:-PT1H" in with_alarm
    assert_valid(with_alarm)


def test_slot_cancelled_by_the_centre_shows_cancelled_in_my_feed(client, centre):
    me = make_user()
    slot = make_slot(make_activity(centre, title="Gärtnern"), days_from_today(3))
    make_signup(slot, me, status="cancelled")
    Slot.update(status="cancelled", cancelled_at=utcnow(), sequence=1).where(
        Slot.id == slot.id
    ).execute()
    _, token = link_of(me)
    events = assert_valid(client.get(private_url(token)).data)
    assert [(e[3], e[4]) for e in events] == [("Abgesagt: Gärtnern", "CANCELLED")]


def test_feed_of_2000_events_is_valid_and_matches_the_database(client, centre):
    activity = make_activity(centre, title="Offener Treff")
    start = berlin_to_utc(today() - dt.timedelta(days=50), dt.time(8))
    rows = [
        {
            "activity": activity.id,
            "starts_at": start + dt.timedelta(hours=4 * i),
            "ends_at": start + dt.timedelta(hours=4 * i + 1),
            "capacity": 2,
        }
        for i in range(2000)
    ]
    Slot.insert_many(rows).execute()
    data = _family(client, centre)
    events = assert_valid(data)  # ical.js (Thunderbird) and the other readers agree on these
    assert len(events) == 2000
    slots = list(Slot.select())
    assert _times(events) == _db_rows(slots)
