"""Activities and categories: who may plan, creating and editing, bad input, capacity."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_activities import (
    builtin,
    make_activity,
    make_series,
    make_signup,
    make_slot,
    next_weekday,
    reload,
)
from tests.factories_centres import english, switch_user
from volunteer_app.activities import services, slots
from volunteer_app.activities.models import Activity, Category, Series, Slot
from volunteer_app.activities.queries import BUILTIN_ENGLISH, category_label
from volunteer_app.common.errors import NotAllowed
from volunteer_app.signups.models import Signup

GERMAN_PO = (
    pathlib.Path(__file__).resolve().parent.parent
    / "volunteer_app"
    / "translations"
    / "de"
    / "LC_MESSAGES"
    / "messages.po"
)


@pytest.fixture
def world(conn):
    a = make_centre(name="Zentrum A", slug="zentrum-a")
    b = make_centre(name="Zentrum B", slug="zentrum-b")
    coordinator_a = make_coordinator(a, name="Clara Auerbach")
    coordinator_b = make_coordinator(b, name="Bruno Berger")
    activity_a = make_activity(a, title="Gartentag A", responsible=coordinator_a)
    activity_b = make_activity(b, title="Gartentag B", responsible=coordinator_b)
    series = make_series(activity_a)
    slot_a = make_slot(activity_a, series=series, original_date=next_weekday(1))
    slot_b = make_slot(activity_b)
    own_b = Category.create(centre=b, name="Bienen")
    return {
        "a": a,
        "b": b,
        "coordinator_a": coordinator_a,
        "coordinator_b": coordinator_b,
        "activity_a": activity_a,
        "activity_b": activity_b,
        "slot_a": slot_a,
        "slot_b": slot_b,
        "own_b": own_b,
    }


def valid(world, **fields) -> dict:
    data = {
        "title": "Vorlesestunde am Nachmittag",
        "category_id": str(builtin("reading").id),
        "description": "Wir lesen vor.\nBücher sind da.",
        "place": "Leseecke",
        "responsible_id": str(world["coordinator_a"].id),
        "audience": "Kinder von 3 bis 6 Jahren",
        "is_public": "y",
        "signup_mode": "approval",
        "cancel_deadline_hours": "48",
        "volunteers_needed": "4",
    }
    data.update(fields)
    return data


# --- Who may plan ------------------------------------------------------------------------------


def routes(world):
    a, act, slot = world["a"], world["activity_a"], world["slot_a"]
    base = f"/zentren/{a.slug}"
    return [
        ("get", f"{base}/angebote/"),
        ("get", f"{base}/angebote/neu"),
        ("post", f"{base}/angebote/neu"),
        ("get", f"{base}/angebote/{act.id}"),
        ("get", f"{base}/angebote/{act.id}/bearbeiten"),
        ("post", f"{base}/angebote/{act.id}/bearbeiten"),
        ("get", f"{base}/angebote/{act.id}/termine/neu"),
        ("post", f"{base}/angebote/{act.id}/termine/neu"),
        ("get", f"{base}/kategorien"),
        ("post", f"{base}/kategorien"),
        ("post", f"{base}/kategorien/{world['own_b'].id}/entfernen"),
        ("get", f"/termine/{slot.id}/bearbeiten"),
        ("post", f"/termine/{slot.id}/bearbeiten"),
        ("get", f"/termine/{slot.id}/folgende-bearbeiten"),
        ("post", f"/termine/{slot.id}/folgende-bearbeiten"),
        ("get", f"/termine/{slot.id}/absagen"),
        ("post", f"/termine/{slot.id}/absagen"),
    ]


def _form_for(world, url):
    if "/kategorien" in url:
        return {"name": "Gekapert"}
    if "/angebote/" in url and "/termine/" not in url:
        return valid(world, title="Gekapert")
    return {
        "date": next_weekday(3).isoformat(),
        "start_time": "08:00",
        "end_time": "09:00",
        "capacity": "7",
        "recurrence": "once",
        "start_date": next_weekday(3).isoformat(),
    }


def _unchanged(world):
    assert Activity.select().where(Activity.title == "Gekapert").count() == 0
    assert Activity.select().count() == 2
    assert Category.select().where(Category.name == "Gekapert").count() == 0
    assert Series.select().count() == 1
    slot = reload(world["slot_a"])
    assert (slot.status, slot.capacity, slot.starts_at) == (
        "scheduled",
        world["slot_a"].capacity,
        world["slot_a"].starts_at,
    )
    assert Category.get_or_none(Category.id == world["own_b"].id) is not None


def test_anonymous_is_sent_to_login(client, world):
    for method, url in routes(world):
        response = getattr(client, method)(url, data=_form_for(world, url))
        assert response.status_code == 302, (method, url)
        assert "/konto/anmelden" in response.headers["Location"]
    _unchanged(world)


def test_volunteer_gets_403(client, login_as, world):
    login_as(make_user())
    for method, url in routes(world):
        response = getattr(client, method)(url, data=_form_for(world, url))
        assert response.status_code == 403, (method, url)
    _unchanged(world)


def test_coordinator_of_another_centre_is_refused(client, login_as, world):
    login_as(world["coordinator_b"])
    for method, url in routes(world):
        if "/kategorien/" in url:
            continue  # B's own category under A's address: below
        response = getattr(client, method)(url, data=_form_for(world, url))
        assert response.status_code in (403, 404), (method, url, response.status_code)
    _unchanged(world)


def test_objects_of_another_centre_under_this_centres_address_are_not_found(
    client, login_as, world
):
    login_as(world["coordinator_a"])
    b_activity, own_b = world["activity_b"], world["own_b"]
    for method, url in [
        ("get", f"/zentren/zentrum-a/angebote/{b_activity.id}"),
        ("get", f"/zentren/zentrum-a/angebote/{b_activity.id}/bearbeiten"),
        ("post", f"/zentren/zentrum-a/angebote/{b_activity.id}/bearbeiten"),
        ("post", f"/zentren/zentrum-a/angebote/{b_activity.id}/termine/neu"),
        ("post", f"/zentren/zentrum-a/kategorien/{own_b.id}/entfernen"),
        ("get", "/zentren/zentrum-a/angebote/999999"),
        ("get", "/termine/999999/bearbeiten"),
        ("post", "/termine/999999/absagen"),
        ("get", "/zentren/gibt-es-nicht/angebote/"),
    ]:
        response = getattr(client, method)(url, data=valid(world, title="Gekapert"))
        assert response.status_code == 404, (method, url)
    # B's slot under its own address: not A's coordinator's business.
    assert client.post(f"/termine/{world['slot_b'].id}/absagen").status_code == 403
    assert reload(world["slot_b"]).status == "scheduled"
    assert reload(world["activity_b"]).title == "Gartentag B"
    assert Category.get_or_none(Category.id == own_b.id) is not None


def test_admin_may_plan_every_centre(client, login_as, world):
    admin = make_user(role="admin", name="Ada Admin")
    english(login_as(admin))
    for url in (
        "/zentren/zentrum-b/angebote/",
        f"/zentren/zentrum-b/angebote/{world['activity_b'].id}",
    ):
        assert client.get(url).status_code == 200
    page = client.get("/zentren/zentrum-b/angebote/neu").get_data(as_text=True)
    assert "Bruno Berger" in page and "Ada Admin" in page and "Clara Auerbach" not in page


def test_services_check_permission_too(world):
    with pytest.raises(NotAllowed):
        services.create_activity(world["a"], {}, actor=world["coordinator_b"])
    with pytest.raises(NotAllowed):
        slots.cancel_slot(
            Slot.select(Slot, Activity).join(Activity).where(Slot.id == world["slot_a"].id).get(),
            actor=make_user(),
        )
    with pytest.raises(NotAllowed):
        services.add_category(world["a"], "Handwerk", actor=world["coordinator_b"])


# --- Creating and editing ------------------------------------------------------------------------


def test_coordinator_creates_an_activity(client, login_as, world):
    english(login_as(world["coordinator_a"]))
    page = client.get("/zentren/zentrum-a/angebote/neu").get_data(as_text=True)
    assert "Reading aloud" in page and "Gardening" in page and "Bienen" not in page
    assert "Bruno Berger" not in page
    response = client.post("/zentren/zentrum-a/angebote/neu", data=valid(world))
    assert response.status_code == 302
    activity = Activity.get(Activity.title == "Vorlesestunde am Nachmittag")
    assert response.headers["Location"].endswith(f"/angebote/{activity.id}/termine/neu")
    assert activity.centre_id == world["a"].id
    assert activity.category_id == builtin("reading").id
    assert activity.description == "Wir lesen vor.\nBücher sind da."
    assert (activity.place, activity.audience) == ("Leseecke", "Kinder von 3 bis 6 Jahren")
    assert activity.responsible_id == world["coordinator_a"].id
    assert activity.is_public is True and activity.is_child_facing is False
    assert (activity.signup_mode, activity.cancel_deadline_hours, activity.volunteers_needed) == (
        "approval",
        48,
        4,
    )
    listing = client.get("/zentren/zentrum-a/angebote/").get_data(as_text=True)
    assert "Vorlesestunde am Nachmittag" in listing and "Gartentag B" not in listing


def test_builtin_labels_translate_to_the_seeded_german_names(world):
    """German is the default language: the built-ins' German labels (from the German catalogue) are the names migration 0004 seeded."""
    with open(GERMAN_PO, "rb") as po:
        catalog = read_po(po, locale="de")
    for key, english_name in BUILTIN_ENGLISH.items():
        assert catalog[english_name].string == builtin(key).name
        with force_locale("en"):
            assert category_label(builtin(key)) == english_name


def test_child_facing_and_not_public(client, login_as, world):
    login_as(world["coordinator_a"])
    data = valid(world, is_child_facing="y")
    del data["is_public"]
    client.post("/zentren/zentrum-a/angebote/neu", data=data)
    activity = Activity.get(Activity.title == "Vorlesestunde am Nachmittag")
    assert activity.is_child_facing is True and activity.is_public is False


BAD = [
    ({"title": ""}, "title", "Please fill in this field."),
    ({"title": "   "}, "title", "Please fill in this field."),
    ({"title": "x" * 121}, "title", "at most 120 characters"),
    ({"title": "Lesen\x00"}, "title", "invisible control characters"),
    ({"title": "Lesen\u202eevil"}, "title", "invisible control characters"),
    ({"place": ""}, "place", "Please fill in this field."),
    ({"place": "y" * 151}, "place", "at most 150 characters"),
    ({"description": "z" * 2001}, "description", "at most 2000 characters"),
    ({"description": "ok\x1b[31m"}, "description", "invisible control characters"),
    ({"audience": "a" * 121}, "audience", "at most 120 characters"),
    ({"category_id": "OWN_B"}, "category_id", "Please choose one of the options."),
    ({"category_id": "abc"}, "category_id", "Please choose one of the options."),
    ({"responsible_id": "COORD_B"}, "responsible_id", "Please choose one of the options."),
    ({"responsible_id": ""}, "responsible_id", "Please choose one of the options."),
    ({"signup_mode": "first-come"}, "signup_mode", "Please choose one of the options."),
    ({"volunteers_needed": "0"}, "volunteers_needed", "from 1 to 50"),
    ({"volunteers_needed": "51"}, "volunteers_needed", "from 1 to 50"),
    ({"volunteers_needed": ""}, "volunteers_needed", "Please enter a number."),
    ({"volunteers_needed": "zwei"}, "volunteers_needed", "Please enter a whole number."),
    ({"volunteers_needed": "1e3"}, "volunteers_needed", "Please enter a whole number."),
    ({"cancel_deadline_hours": "-1"}, "cancel_deadline_hours", "from 0 to 336"),
    ({"cancel_deadline_hours": "99999999999999"}, "cancel_deadline_hours", "whole number"),
]


@pytest.mark.parametrize(("fields", "name", "message"), BAD)
def test_bad_activity_input_is_refused(client, login_as, world, fields, name, message):
    fields = {
        k: {"OWN_B": str(world["own_b"].id), "COORD_B": str(world["coordinator_b"].id)}.get(v, v)
        for k, v in fields.items()
    }
    english(login_as(world["coordinator_a"]))
    for url in (
        "/zentren/zentrum-a/angebote/neu",
        f"/zentren/zentrum-a/angebote/{world['activity_a'].id}/bearbeiten",
    ):
        response = client.post(url, data=valid(world, **fields))
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert message in page
        assert f'id="{name}-error"' in page
    assert Activity.select().count() == 2
    assert reload(world["activity_a"]).title == "Gartentag A"


def test_service_refuses_a_volunteer_or_other_centres_coordinator_as_responsible(world):
    data = {
        "title": "Kochen",
        "place": "Küche",
        "category_id": builtin("cooking").id,
        "signup_mode": "open",
        "cancel_deadline_hours": 24,
        "volunteers_needed": 2,
    }
    for person in (make_user(), world["coordinator_b"]):
        with pytest.raises(services.DomainError) as info:
            services.create_activity(
                world["a"], {**data, "responsible_id": person.id}, actor=world["coordinator_a"]
            )
        assert info.value.field == "responsible_id"
    with pytest.raises(services.DomainError) as info:
        services.create_activity(
            world["a"],
            {**data, "responsible_id": world["coordinator_a"].id, "category_id": world["own_b"].id},
            actor=world["coordinator_a"],
        )
    assert info.value.field == "category_id"
    assert Activity.select().count() == 2


def test_edit_changes_the_activity(client, login_as, world):
    activity = world["activity_a"]
    english(login_as(world["coordinator_a"]))
    page = client.get(f"/zentren/zentrum-a/angebote/{activity.id}/bearbeiten").get_data(
        as_text=True
    )
    assert 'value="Gartentag A"' in page
    response = client.post(
        f"/zentren/zentrum-a/angebote/{activity.id}/bearbeiten",
        data=valid(world, title="Gartentag neu", volunteers_needed="2"),
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/zentren/zentrum-a/angebote/{activity.id}")
    changed = reload(activity)
    assert changed.title == "Gartentag neu" and changed.signup_mode == "approval"
    assert changed.updated_at >= activity.updated_at


# --- A new number of volunteers needed -----------------------------------------------------------


def test_new_number_applies_to_untaken_future_slots_only(client, login_as, world):
    activity = world["activity_a"]  # needs 2
    untaken = world["slot_a"]
    full = make_slot(activity, day=next_weekday(2), original_date=None)
    for _ in range(2):
        make_signup(full, make_user())
    past = make_slot(
        activity,
        original_date=None,
        starts_at=dt.datetime(2020, 1, 1, 9),
        ends_at=dt.datetime(2020, 1, 1, 11),
    )
    detached = make_slot(activity, day=next_weekday(4), detached=True, original_date=None)
    cancelled = make_slot(activity, day=next_weekday(5), status="cancelled", original_date=None)
    english(login_as(world["coordinator_a"]))
    response = client.post(
        f"/zentren/zentrum-a/angebote/{activity.id}/bearbeiten",
        data=valid(world, volunteers_needed="1"),
        follow_redirects=True,
    )
    assert "1 upcoming date keeps its number of volunteers" in response.get_data(as_text=True)
    assert reload(untaken).capacity == 1
    assert reload(full).capacity == 2  # two confirmed: not lowered below them
    assert reload(past).capacity == 2
    assert reload(detached).capacity == 2
    assert reload(cancelled).capacity == 2
    assert reload(activity).volunteers_needed == 1


def test_raising_the_number_fills_from_the_waitlist(client, login_as, world):
    activity = world["activity_a"]
    slot = world["slot_a"]
    first, second, waiting = make_user(), make_user(), make_user()
    make_signup(slot, first)
    make_signup(slot, second)
    queued = make_signup(slot, waiting, status="waitlisted")
    login_as(world["coordinator_a"])
    response = client.post(
        f"/zentren/zentrum-a/angebote/{activity.id}/bearbeiten",
        data=valid(world, volunteers_needed="3"),
    )
    assert response.status_code == 302
    assert reload(slot).capacity == 3
    assert reload(slot).taken == 3
    assert reload(queued).status == "confirmed"


def test_untaken_slot_with_a_waitlist_goes_through_the_signup_service(world):
    slot = world["slot_a"]
    Slot.update(capacity=0).where(Slot.id == slot.id).execute()  # e.g. lowered on its own
    queued = make_signup(slot, make_user(), status="waitlisted")
    data = {
        "title": "Gartentag A",
        "place": "Garten",
        "category_id": builtin("gardening").id,
        "responsible_id": world["coordinator_a"].id,
        "signup_mode": "open",
        "cancel_deadline_hours": 24,
        "volunteers_needed": 3,
    }
    change = services.update_activity(
        Activity.get_by_id(world["activity_a"].id), data, actor=world["coordinator_a"]
    )
    assert change.changed == 1 and change.kept == []
    assert reload(slot).capacity == 3
    assert reload(queued).status == "confirmed"
    assert Signup.select().where(Signup.status == "confirmed").count() == 1


# --- Categories ----------------------------------------------------------------------------------


def test_categories_page_lists_builtins_and_own(client, login_as, world):
    Category.create(centre=world["a"], name="Handwerk")
    english(login_as(world["coordinator_a"]))
    page = client.get("/zentren/zentrum-a/kategorien").get_data(as_text=True)
    for name in ("Gardening", "Reading aloud", "Hiking", "Baking", "Cooking", "Handwerk"):
        assert name in page
    assert "Bienen" not in page


def test_add_category_and_use_it(client, login_as, world):
    english(login_as(world["coordinator_a"]))
    response = client.post("/zentren/zentrum-a/kategorien", data={"name": "  Begleitung "})
    assert response.status_code == 302
    category = Category.get(Category.name == "Begleitung")
    assert category.centre_id == world["a"].id and category.key is None
    page = client.get("/zentren/zentrum-a/angebote/neu").get_data(as_text=True)
    assert "Begleitung" in page
    # The same name is fine in another centre.
    switch_user(login_as, world["coordinator_b"])
    assert (
        client.post("/zentren/zentrum-b/kategorien", data={"name": "Begleitung"}).status_code == 302
    )
    assert Category.select().where(Category.name == "Begleitung").count() == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Please fill in this field."),
        ("x" * 61, "at most 60 characters"),
        ("Hand\x07werk", "invisible control characters"),
        ("handwerk", "This category exists already."),
        ("HANDWERK", "This category exists already."),
        ("Gärtnern", "This category exists already."),
        ("gardening", "This category exists already."),
        ("Reading aloud", "This category exists already."),
    ],
)
def test_bad_category_is_refused(client, login_as, world, name, message):
    Category.create(centre=world["a"], name="Handwerk")
    english(login_as(world["coordinator_a"]))
    response = client.post("/zentren/zentrum-a/kategorien", data={"name": name})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert Category.select().where(Category.centre == world["a"].id).count() == 1


def test_remove_unused_category_but_not_a_used_one(client, login_as, world):
    unused = Category.create(centre=world["a"], name="Handwerk")
    used = Category.create(centre=world["a"], name="Begleitung")
    make_activity(world["a"], category=used)
    english(login_as(world["coordinator_a"]))
    response = client.post(f"/zentren/zentrum-a/kategorien/{unused.id}/entfernen")
    assert response.status_code == 302
    assert Category.get_or_none(Category.id == unused.id) is None
    response = client.post(
        f"/zentren/zentrum-a/kategorien/{used.id}/entfernen", follow_redirects=True
    )
    assert "Activities use this category" in response.get_data(as_text=True)
    assert Category.get_or_none(Category.id == used.id) is not None
    # Built-ins are nobody's to remove.
    builtin_id = builtin("baking").id
    assert client.post(f"/zentren/zentrum-a/kategorien/{builtin_id}/entfernen").status_code == 404
    assert Category.get_or_none(Category.id == builtin_id) is not None


def test_category_remove_needs_post(client, login_as, world):
    unused = Category.create(centre=world["a"], name="Handwerk")
    login_as(world["coordinator_a"])
    assert client.get(f"/zentren/zentrum-a/kategorien/{unused.id}/entfernen").status_code == 405
    assert Category.get_or_none(Category.id == unused.id) is not None
