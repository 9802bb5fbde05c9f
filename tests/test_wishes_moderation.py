"""Public input is moderated: a new wish is public only once a coordinator approved it (per
centre, switchable to "publish at once"); rejecting mails the reason and deletes the wish."""

from __future__ import annotations

import pytest

from tests.factories import make_centre, make_coordinator
from tests.factories_centres import count_queries, english
from tests.factories_wishes import make_wish
from volunteer_app.centres.models import Centre
from volunteer_app.common.errors import Conflict, NotAllowed
from volunteer_app.db import utcnow
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.wishes import services
from volunteer_app.wishes.models import Wish, WishSupport
from volunteer_app.wishes.queries import wish_in_centre

BASE = "/zentren/sonnenblume/wuensche"


@pytest.fixture
def w(conn):
    centre = make_centre(name="ThEKiZ Sonnenblume", slug="sonnenblume")
    other = make_centre(name="ThEKiZ Nachbar", slug="nachbar")
    return type(
        "W", (), {"centre": centre, "other": other, "coord": make_coordinator(centre),
                  "coord_b": make_coordinator(other)},
    )  # fmt: skip


def _suggest(client, title="Babymassage", follow=False, **fields):
    data = {"title": title, "description": "Vormittags.", **fields}
    return client.post(BASE, data=data, follow_redirects=follow)


def _pending(centre, title="Flohmarkt", **fields):
    return make_wish(centre, title, supports=1, approved_at=None, **fields)


def _loaded(wish):
    return wish_in_centre(Centre.get_by_id(wish.centre_id), wish.id)


# --- Families ------------------------------------------------------------------------------


def test_a_new_wish_waits_for_approval_and_the_wisher_is_told(app, client, w):
    english(client)
    response = _suggest(client, follow=True)
    body = response.get_data(as_text=True)
    assert "Your wish is being checked and appears on the list once the centre" in body
    wish = Wish.get()
    assert wish.approved_at is None and wish.support_count == 1
    # Other families see neither the wish nor a trace of it, and cannot support it.
    other = app.test_client()
    english(other)
    page = other.get(BASE).get_data(as_text=True)
    assert "Babymassage" not in page and "being checked" not in page
    assert other.post(f"{BASE}/{wish.id}/unterstuetzen").status_code == 404
    assert Wish.get_by_id(wish.id).support_count == 1


def test_in_german_the_wisher_reads_ihr_wunsch_wird_geprueft(client, w):
    body = _suggest(client, follow=True).get_data(as_text=True)
    assert "Ihr Wunsch wird geprüft" in body


def test_a_centre_that_publishes_at_once_shows_the_wish_right_away(app, client, w):
    Centre.update(wishes_need_approval=False).where(Centre.id == w.centre.id).execute()
    english(client)
    body = _suggest(client, follow=True).get_data(as_text=True)
    assert "Your wish is now on the list." in body
    assert Wish.get().approved_at is not None
    page = english(app.test_client()).get(BASE).get_data(as_text=True)
    assert "Babymassage" in page


def test_the_honeypot_answers_like_the_centres_setting(client, w):
    english(client)
    body = _suggest(client, website="http://spam.example", follow=True)
    assert "Your wish is being checked" in body.get_data(as_text=True)
    assert Wish.select().count() == 0


def test_a_waiting_wish_does_not_block_the_same_title(client, w):
    """Only public wishes count as "suggested already": a waiting one is invisible."""
    _pending(w.centre, "Babymassage")
    assert _suggest(client).status_code == 302
    assert Wish.select().where(Wish.title == "Babymassage").count() == 2


def test_waiting_wishes_count_nowhere_public(app, conn, w):
    from volunteer_app.wishes.queries import public_board, realised_wishes

    _pending(w.centre, "Geheim")
    public = make_wish(w.centre, "Öffentlich")
    board = public_board(w.centre.id)
    assert [x.id for x in board.open] == [public.id]
    assert realised_wishes(w.centre.id) == []


# --- Coordinators --------------------------------------------------------------------------


def test_the_desk_lists_waiting_wishes_with_approve_and_reject(client, login_as, w):
    _pending(w.centre, "Flohmarkt", email="floh@example.org", email_consent_at=utcnow())
    make_wish(w.centre, "Öffentlich")
    english(login_as(w.coord))
    body = client.get(f"{BASE}/verwaltung").get_data(as_text=True)
    pending = body[body.index('id="pending-heading"') : body.index("filter-nav")]
    assert "Flohmarkt" in pending and "Öffentlich" not in pending
    assert "left an e-mail address" in pending and "floh@example.org" not in body
    assert 'class="count-badge">1<' in pending
    # The public list's counts leave the waiting wish out.
    assert '<span class="count">1</span>' in body
    # The planning page counts it too.
    desk = client.get("/zentren/sonnenblume/planung").get_data(as_text=True)
    assert "family wish awaits approval" in desk


def test_the_desk_takes_a_fixed_number_of_queries(client, login_as, w):
    login_as(w.coord)

    def count(n):
        for i in range(n):
            _pending(w.centre, f"Wartet {n}-{i}")
            make_wish(w.centre, f"Öffentlich {n}-{i}")
        with count_queries() as counter:
            assert client.get(f"{BASE}/verwaltung").status_code == 200
        return counter.count

    assert count(2) == count(30)


def test_approving_publishes_the_wish(client, login_as, w):
    wish = _pending(w.centre)
    english(login_as(w.coord))
    response = client.post(f"{BASE}/{wish.id}/freigeben", follow_redirects=True)
    assert "The wish is now on the public list." in response.get_data(as_text=True)
    assert Wish.get_by_id(wish.id).approved_at is not None
    assert "Flohmarkt" in client.get(BASE).get_data(as_text=True)
    again = client.post(f"{BASE}/{wish.id}/freigeben", follow_redirects=True)
    assert "on the public list already" in again.get_data(as_text=True)


def test_a_duplicate_of_a_public_wish_is_not_approved(app, conn, w):
    make_wish(w.centre, "Flohmarkt")
    wish = _pending(w.centre, "FLOHMARKT")
    with pytest.raises(Conflict):
        services.approve_wish(_loaded(wish), actor=w.coord)
    assert Wish.get_by_id(wish.id).approved_at is None


def test_rejecting_mails_the_reason_in_the_wishers_language_and_deletes(client, login_as, w):
    wish = _pending(w.centre, email="floh@example.org", email_consent_at=utcnow(), locale="de")
    english(login_as(w.coord))
    form = client.get(f"{BASE}/{wish.id}/ablehnen").get_data(as_text=True)
    assert "they get your reason by mail" in form
    response = client.post(
        f"{BASE}/{wish.id}/ablehnen",
        data={"reason": "Bitte keine Namen.\n\nSchicken Sie ihn gern ohne Namen noch einmal."},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"{BASE}/verwaltung#pending-heading"
    )
    assert Wish.get_or_none(Wish.id == wish.id) is None
    assert WishSupport.select().count() == 0
    mail = OutboxMessage.get()
    assert mail.recipient == "floh@example.org" and mail.locale == "de"
    assert "Flohmarkt" in mail.subject
    assert "Bitte keine Namen." in mail.body_text and "Bitte keine Namen." in mail.body_html
    assert "Wunsch" in mail.body_text and "gelöscht" in mail.body_text
    assert "http://localhost/zentren/sonnenblume/wuensche" in mail.body_text


def test_rejecting_without_an_address_mails_nobody(client, login_as, w):
    wish = _pending(w.centre)
    english(login_as(w.coord))
    form = client.get(f"{BASE}/{wish.id}/ablehnen").get_data(as_text=True)
    assert "nobody is told" in form
    response = client.post(f"{BASE}/{wish.id}/ablehnen", data={}, follow_redirects=True)
    assert "The wish has been rejected and deleted." in response.get_data(as_text=True)
    assert Wish.select().count() == 0 and OutboxMessage.select().count() == 0


@pytest.mark.parametrize(
    ("reason", "message"),
    [("x" * 1001, "Please use at most 1000 characters."),
     ("Hallo\x1bWelt", "Please remove invisible control characters.")],
)  # fmt: skip
def test_a_bad_reason_keeps_the_wish_and_shows_a_message(client, login_as, w, reason, message):
    wish = _pending(w.centre)
    english(login_as(w.coord))
    response = client.post(f"{BASE}/{wish.id}/ablehnen", data={"reason": reason})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert Wish.get_or_none(Wish.id == wish.id) is not None


def test_a_public_wish_is_answered_or_deleted_not_rejected(client, login_as, w):
    wish = make_wish(w.centre, "Öffentlich")
    login_as(w.coord)
    response = client.post(f"{BASE}/{wish.id}/ablehnen", data={"reason": "Nein."})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"{BASE}/{wish.id}"
    )
    assert Wish.get_or_none(Wish.id == wish.id) is not None
    with pytest.raises(Conflict):
        services.reject_wish(_loaded(wish), "Nein.", actor=w.coord)


def test_an_answer_approves_a_waiting_wish(client, login_as, w):
    wish = _pending(w.centre)
    english(login_as(w.coord))
    page = client.get(f"{BASE}/{wish.id}").get_data(as_text=True)
    assert "Not public yet" in page
    client.post(f"{BASE}/{wish.id}", data={"status": "planned", "answer": "Im Mai."})
    wish = Wish.get_by_id(wish.id)
    assert wish.approved_at is not None and wish.answer == "Im Mai."


def test_the_setting_switches_between_approve_first_and_publish_at_once(client, login_as, w):
    english(login_as(w.coord))
    url = f"{BASE}/einstellungen"
    response = client.post(url, data={"approval": "publish"}, follow_redirects=True)
    assert "public right after they are sent" in response.get_data(as_text=True)
    assert Centre.get_by_id(w.centre.id).wishes_need_approval is False
    assert "Nothing has changed." in client.post(
        url, data={"approval": "publish"}, follow_redirects=True
    ).get_data(as_text=True)
    client.post(url, data={"approval": "approve"})
    assert Centre.get_by_id(w.centre.id).wishes_need_approval is True
    assert client.post(url, data={"approval": "sometimes"}).status_code == 400
    assert Centre.get_by_id(w.centre.id).wishes_need_approval is True


def test_only_the_centres_coordinators_moderate(app, conn, w):
    wish = _loaded(_pending(w.centre))
    with pytest.raises(NotAllowed):
        services.approve_wish(wish, actor=w.coord_b)
    with pytest.raises(NotAllowed):
        services.reject_wish(wish, actor=w.coord_b)
    with pytest.raises(NotAllowed):
        services.set_wish_approval(w.centre, False, actor=w.coord_b)
    assert Wish.get_by_id(wish.id).approved_at is None
    assert Centre.get_by_id(w.centre.id).wishes_need_approval is True


def test_every_centre_starts_with_approve_first(conn):
    assert make_centre(slug="neu").wishes_need_approval is True
