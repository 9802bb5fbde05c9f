"""Families who volunteer together (issue 14, part 2): children who come along never take a
volunteer place and are counted on the roster and the written plan only; adults get a link
and sign up themselves (no account is made, no address kept); a parent links their 14- to
17-year-old child's own account, the child confirms, and the parent signs the child up or
cancels where the activity is open to the child's age. Nothing of it reaches public pages or
family feeds; all of it is in the data download of both accounts and goes with an erasure."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from tests.factories import (
    make_activity,
    make_centre,
    make_coordinator,
    make_slot,
    make_user,
    reload,
)
from volunteer_app.centres.queries import today
from volunteer_app.common.errors import DomainError, NotAllowed, NotFound
from volunteer_app.companions import queries, services
from volunteer_app.companions.models import ComingAlong, CompanionInvite, FamilyLink
from volunteer_app.db import utcnow
from volunteer_app.erasure.services import erase_account
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.privacy.queries import personal_data
from volunteer_app.reports.plan import week_start
from volunteer_app.retention.services import run_retention
from volunteer_app.signups import services as signups

pytestmark = pytest.mark.dates


@pytest.fixture
def family(conn):
    """A centre with an activity that allows children, adults and minors from 14, one of
    its dates in three days, a coordinator, a parent and their 15-year-old child."""
    centre = make_centre(name="ThEKiZ Sonnenblume", slug="sonnenblume")
    coordinator = make_coordinator(centre, name="Clara Koordinatorin")
    activity = make_activity(
        centre,
        title="Gartentag",
        companion_children=True,
        companion_adults=True,
        minors_from_age=14,
        volunteers_needed=2,
    )
    plain = make_activity(centre, title="Vorlesen", volunteers_needed=2)
    start = utcnow().replace(microsecond=0, second=0) + dt.timedelta(days=3)
    slot = make_slot(activity, starts_at=start)
    other = make_slot(plain, starts_at=start + dt.timedelta(days=1))
    parent = make_user(name="Petra Mutter", email="petra@example.org")
    child = make_user(name="Kai Kind", email="kai@example.org")
    return dict(
        centre=centre, coordinator=coordinator, activity=activity, plain=plain, slot=slot,
        other=other, parent=parent, child=child,
    )  # fmt: skip


def _public(client, centre, activity) -> list[str]:
    """The centre's public pages and family feed, with the feed's time stamps left out."""
    pages = []
    for url in (
        f"/zentren/{centre.slug}",
        f"/zentren/{centre.slug}/programm/{activity.id}",
        f"/zentren/{centre.slug}/kalender.ics",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        text = re.sub(r"(DTSTAMP|LAST-MODIFIED):\S+", "", response.get_data(as_text=True))
        pages.append(re.sub(r'name="csrf_token" value="[^"]+"', "", text))
    return pages


def test_children_never_take_places_and_are_counted_for_planning(client, login_as, family):
    slot, parent, centre = family["slot"], family["parent"], family["centre"]
    signups.sign_up(slot.id, actor=parent)
    public_before = _public(client, centre, family["activity"])
    services.update_companions(slot.id, 3, actor=parent)
    assert reload(slot).taken == 1 and reload(slot).capacity == 2
    assert ComingAlong.get().children == 3
    services.update_companions(slot.id, 2, actor=parent)
    assert ComingAlong.get().children == 2

    for bad in (-1, 11):
        with pytest.raises(DomainError) as refused:
            services.update_companions(slot.id, bad, actor=parent)
        assert refused.value.field == "children"
    # Where the activity does not allow it, and without an own sign-up.
    signups.sign_up(family["other"].id, actor=parent)
    with pytest.raises(DomainError, match="keine Kinder"):
        services.update_companions(family["other"].id, 1, actor=parent)
    with pytest.raises(NotFound):
        services.update_companions(slot.id, 1, actor=family["child"])

    # The roster: per person and in total; the written plan: per person, slot and week.
    login_as(family["coordinator"])
    roster = client.get(f"/termine/{slot.id}/besetzung").get_data(as_text=True)
    assert "mit 2 Kindern" in roster and "2 insgesamt" in roster
    monday = week_start((slot.starts_at + dt.timedelta(hours=2)).date())
    plan = client.get(f"/zentren/{centre.slug}/helferplan?woche={monday.isoformat()}").get_data(
        as_text=True
    )
    assert "+ 2 Kinder" in plan

    # Nothing of it on the public pages or in the family feed.
    with client.session_transaction() as sess:
        sess.clear()
    assert _public(client, centre, family["activity"]) == public_before

    # Through the slot page: the form, its messages.
    login_as(parent)
    page = client.get(f"/termine/{slot.id}").get_data(as_text=True)
    assert 'name="children"' in page and 'name="email"' in page
    response = client.post(f"/termine/{slot.id}/begleitung", data={"children": "zwölf"})
    assert response.status_code == 302
    assert "ganze Zahl" in client.get(f"/termine/{slot.id}").get_data(as_text=True)
    assert ComingAlong.get().children == 2


def test_adults_get_a_link_and_sign_up_themselves(client, login_as, family):
    slot, parent = family["slot"], family["parent"]
    signups.sign_up(slot.id, actor=parent)
    accounts_before = len(list(type(parent).select()))
    services.update_companions(slot.id, 0, "Opa.Otto@example.org", actor=parent)
    mail = OutboxMessage.select().where(OutboxMessage.recipient == "Opa.Otto@example.org").get()
    assert "Petra" in mail.subject and "Gartentag" in mail.body_text
    token = re.search(r"/begleitung/([\w-]+)", mail.body_text).group(1)
    # No account, no address: only the link's hash.
    assert len(list(type(parent).select())) == accounts_before
    invite = CompanionInvite.get()
    assert invite.token_hash != token and "otto" not in json.dumps(invite.__data__, default=str)

    page = client.get(f"/begleitung/{token}").get_data(as_text=True)
    assert "Gartentag" in page and f"next=/termine/{slot.id}" in page
    assert "Petra" not in page  # the link names nobody
    assert client.get("/begleitung/unknown-token-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx").status_code == 404
    otto = make_user(name="Otto Opa")
    login_as(otto)
    page = client.get(f"/begleitung/{token}").get_data(as_text=True)
    assert f'href="/termine/{slot.id}"' in page
    signups.sign_up(slot.id, actor=otto)
    assert reload(slot).taken == 2  # the adult is a volunteer with a place of their own

    with pytest.raises(DomainError, match="Adresse der Person"):
        services.update_companions(slot.id, 0, "petra@example.org", actor=parent)
    with pytest.raises(DomainError, match="gültige E-Mail"):
        services.update_companions(slot.id, 0, "nobody", actor=parent)
    for n in range(4):
        services.update_companions(slot.id, 0, f"gast{n}@example.org", actor=parent)
    with pytest.raises(DomainError, match="höchstens 5"):
        services.update_companions(slot.id, 0, "gast9@example.org", actor=parent)
    signups.sign_up(family["other"].id, actor=parent)
    with pytest.raises(DomainError, match="keine Erwachsenen"):
        services.update_companions(family["other"].id, 0, "x@example.org", actor=parent)

    # The inviter cancels: the link has expired. The date starts: retention deletes it.
    signups.cancel_signup(queries_signup(slot, parent), actor=parent)
    assert queries.invitation(token).valid is False
    assert "abgelaufen" in client.get(f"/begleitung/{token}").get_data(as_text=True)
    assert run_retention(now=slot.starts_at + dt.timedelta(minutes=1)).counts["companions"] == 5
    assert CompanionInvite.select().count() == 0


def queries_signup(slot, person) -> int:
    from volunteer_app.signups.models import Signup

    return Signup.get((Signup.slot == slot.id) & (Signup.volunteer == person.id)).id


def test_a_parent_links_their_childs_account_and_signs_them_up(client, login_as, family):
    parent, child, slot = family["parent"], family["child"], family["slot"]
    year = today().year
    # An unknown address looks the same as a known one, and makes nothing.
    services.ask_link("niemand@example.org", actor=parent)
    assert FamilyLink.select().count() == 0
    services.ask_link("KAI@example.org", actor=parent)
    link = FamilyLink.get()
    assert link.confirmed_at is None and link.child_id == child.id
    assert OutboxMessage.select().where(OutboxMessage.recipient == child.email).count() == 1
    with pytest.raises(NotFound):  # before the child confirms, the parent can do nothing
        services.sign_up_child(slot.id, child.id, actor=parent)
    with pytest.raises(NotAllowed):  # only the child confirms
        services.confirm_link(link.id, year - 15, actor=parent)
    for too_young_or_old in (year - 14, year - 18, year - 40):
        with pytest.raises(DomainError) as refused:
            services.confirm_link(link.id, too_young_or_old, actor=child)
        assert refused.value.field == "birth_year"
    services.confirm_link(link.id, year - 16, actor=child)  # 15 for certain
    assert reload(link).confirmed_at is not None

    # Open to the child's age: the parent signs them up; the sign-up and mail are the child's.
    services.sign_up_child(slot.id, child.id, actor=parent)
    status = queries.slot_family(slot, parent).linked[0].status
    assert status == "confirmed" and reload(slot).taken == 1
    # Not open to minors, or only from 16: refused.
    with pytest.raises(NotAllowed):
        services.sign_up_child(family["other"].id, child.id, actor=parent)
    late = make_activity(family["centre"], title="Werkstatt", minors_from_age=16)
    with pytest.raises(NotAllowed):
        services.sign_up_child(make_slot(late).id, child.id, actor=parent)
    # Somebody else's child: not found.
    with pytest.raises(NotFound):
        services.sign_up_child(slot.id, child.id, actor=family["coordinator"])

    login_as(parent)
    page = client.get("/konto/familie").get_data(as_text=True)
    assert "Kai Kind" in page and "Gartentag" in page
    signup_id = queries_signup(slot, child)
    response = client.post(f"/konto/familie/anmeldungen/{signup_id}/absagen", data={})
    assert response.status_code == 302
    assert reload(slot).taken == 0

    # Both downloads hold the link; the parent's holds the children coming along.
    signups.sign_up(slot.id, actor=parent)
    services.update_companions(slot.id, 2, actor=parent)
    mine = personal_data(parent, now=utcnow())
    assert mine["family"][0]["you_are"] == "parent" and mine["family"][0]["other"] == "Kai Kind"
    assert [s["children_coming_along"] for s in mine["signups"]] == [2]
    theirs = personal_data(child, now=utcnow())
    assert theirs["family"][0]["you_are"] == "child" and theirs["family"][0]["birth_year"]

    # Either can end the link; an erasure ends it too, with the children counted.
    services.unlink(link.id, actor=child)
    assert FamilyLink.select().count() == 0
    services.ask_link(child.email, actor=parent)
    services.confirm_link(FamilyLink.get().id, year - 16, actor=child)
    erase_account(parent)
    assert FamilyLink.select().count() == 0 and ComingAlong.select().count() == 0


def test_unconfirmed_requests_lapse(family):
    parent, child = family["parent"], family["child"]
    services.ask_link(child.email, actor=parent)
    FamilyLink.update(created_at=utcnow() - dt.timedelta(days=31)).execute()
    assert run_retention().counts["companions"] == 1
    assert FamilyLink.select().count() == 0


def test_the_activity_form_sets_and_clears_the_options(client, login_as, family):
    activity, centre = family["plain"], family["centre"]
    url = f"/zentren/{centre.slug}/angebote/{activity.id}/bearbeiten"
    login_as(family["coordinator"])
    page = client.get(url).get_data(as_text=True)
    assert "Familien, die sich gemeinsam engagieren" in page and "Nur Erwachsene" in page
    data = {
        "title": "Vorlesen",
        "category_id": str(activity.category_id),
        "place": "Leseecke",
        "responsible_id": str(family["coordinator"].id),
        "signup_mode": "open",
        "cancel_deadline_hours": "24",
        "volunteers_needed": "2",
    }
    on = {"companion_children": "y", "companion_adults": "y", "minors_from_age": "15"}
    assert client.post(url, data={**data, **on}).status_code == 302
    changed = reload(activity)
    assert (changed.companion_children, changed.companion_adults) == (True, True)
    assert changed.minors_from_age == 15
    assert 'selected value="15"' in client.get(url).get_data(as_text=True)
    refused = client.post(url, data={**data, "minors_from_age": "12"})
    assert refused.status_code == 200 and "eine der Möglichkeiten" in refused.get_data(as_text=True)
    assert client.post(url, data={**data, "minors_from_age": ""}).status_code == 302
    cleared = reload(activity)
    assert (cleared.companion_children, cleared.minors_from_age) == (False, None)
