"""Families suggest and support wishes: spam handling, consent to store an address, one
support per browser, rate limits, and the public list."""

from __future__ import annotations

import pytest

from tests.factories import make_centre
from tests.factories_centres import count_queries, english
from tests.factories_wishes import make_wish
from volunteer_app.wishes.models import Wish, WishSupport
from volunteer_app.wishes.views import COOKIE


@pytest.fixture
def centre(conn):
    return make_centre(name="ThEKiZ Sonnenblume", slug="sonnenblume")


URL = "/zentren/sonnenblume/wuensche"


def _suggest(client, **fields):
    data = {"title": "Babymassage", "description": "Für Babys bis ein Jahr."}
    data.update(fields)
    return client.post(URL, data=data)


def test_a_family_suggests_a_wish_without_an_account(client, centre):
    response = _suggest(client)
    assert response.status_code == 302
    wish = Wish.get()
    assert (wish.title, wish.description, wish.status) == (
        "Babymassage",
        "Für Babys bis ein Jahr.",
        "new",
    )
    assert wish.email is None and wish.email_consent_at is None
    # The suggesting browser supports its own wish, and keeps a random id in a cookie.
    assert wish.support_count == 1 and WishSupport.select().count() == 1
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert WishSupport.get().browser_hash != cookie.value  # only its hash is stored
    assert response.headers["Location"].endswith(f"{URL}#wish-{wish.id}")
    # The centre checks new wishes first (tests/test_wishes_moderation.py); the wisher's
    # browser shows it as being checked.
    assert wish.approved_at is None
    page = english(client).get(URL).get_data(as_text=True)
    assert "Your wish is being checked" in page and "Babymassage" in page


def test_the_address_is_stored_only_with_consent(client, centre):
    english(client)
    refused = _suggest(client, email="Mama@Example.org")
    assert refused.status_code == 200
    assert "Please tick the box" in refused.get_data(as_text=True)
    assert Wish.select().count() == 0

    assert _suggest(client, email="Mama@Example.org", consent="y").status_code == 302
    wish = Wish.get()
    assert wish.email == "mama@example.org" and wish.email_consent_at is not None
    assert wish.locale == "en"


def test_the_service_drops_an_address_without_consent(app, conn, centre):
    from volunteer_app.wishes.services import suggest_wish

    wish = suggest_wish(
        centre, {"title": "Nähcafé", "email": "a@example.org", "consent": False}, browser_hash="h"
    )
    assert Wish.get_by_id(wish.id).email is None


def test_the_database_refuses_an_address_without_consent(app, conn, centre):
    import peewee as pw

    with pytest.raises(pw.IntegrityError), conn.atomic():
        Wish.create(centre=centre, title="x", email="a@example.org")


def test_a_filled_honeypot_is_answered_like_success_but_nothing_is_kept(client, centre):
    response = _suggest(client, website="http://spam.example")
    assert response.status_code == 302
    assert Wish.select().count() == 0 and WishSupport.select().count() == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "Please fill in this field."),
        ({"title": "x" * 121}, "Please use at most 120 characters."),
        ({"description": "x" * 1001}, "Please use at most 1000 characters."),
        ({"title": "Baby\x1bmassage"}, "Please remove invisible control characters."),
        ({"description": "Hallo\u202eWelt"}, "Please remove invisible control characters."),
        ({"email": "keine-adresse", "consent": "y"}, "Please enter a valid e-mail address"),
        ({"email": "a@b.de\r\nBcc: x@y.de", "consent": "y"}, "valid e-mail address"),
    ],
)
def test_bad_input_is_refused_with_a_message(client, centre, fields, message):
    english(client)
    response = _suggest(client, **fields)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert Wish.select().count() == 0


def test_the_same_open_wish_is_not_suggested_twice(client, centre):
    english(client)
    make_wish(centre, "Babymassage")
    response = _suggest(client, title="  babymassage ")
    assert "suggested already" in response.get_data(as_text=True)
    assert Wish.select().count() == 1


def test_one_support_per_browser(client, centre):
    wish = make_wish(centre, supports=3)
    url = f"{URL}/{wish.id}/unterstuetzen"
    english(client)
    first = client.post(url)
    assert first.status_code == 302 and first.headers["Location"].endswith(f"#wish-{wish.id}")
    assert client.get_cookie(COOKIE) is not None
    again = client.post(url, follow_redirects=True)
    assert "You have supported this wish already." in again.get_data(as_text=True)
    assert Wish.get_by_id(wish.id).support_count == 4
    assert WishSupport.select().where(WishSupport.wish == wish.id).count() == 4

    # Another browser (no cookie) counts once more.
    client.delete_cookie(COOKIE)
    client.post(url)
    assert Wish.get_by_id(wish.id).support_count == 5


def test_a_forged_cookie_gets_a_new_id(client, centre):
    wish = make_wish(centre)
    client.set_cookie(COOKIE, "<script>")
    client.post(f"{URL}/{wish.id}/unterstuetzen")
    assert client.get_cookie(COOKIE).value != "<script>"
    assert Wish.get_by_id(wish.id).support_count == 1


def test_answered_wishes_take_no_more_support(client, centre):
    english(client)
    wish = make_wish(centre, status="declined", answer="Leider kein Raum.")
    response = client.post(f"{URL}/{wish.id}/unterstuetzen", follow_redirects=True)
    assert "needs no more support" in response.get_data(as_text=True)
    assert Wish.get_by_id(wish.id).support_count == 0


def test_support_of_another_centres_wish_is_not_found(client, centre):
    other = make_wish(make_centre(slug="nachbar"))
    assert client.post(f"{URL}/{other.id}/unterstuetzen").status_code == 404
    assert Wish.get_by_id(other.id).support_count == 0


def test_suggesting_is_rate_limited_per_ip(app, client, centre):
    app.config["RATELIMIT_WISHES"] = "3 per hour"
    for n in range(3):
        assert _suggest(client, title=f"Wunsch {n}").status_code == 302
    assert _suggest(client, title="Wunsch 4").status_code == 429
    assert Wish.select().count() == 3
    # Another address may still suggest.
    other = client.post(URL, data={"title": "Wunsch 5"}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 302
    # Reading the list is not limited.
    assert client.get(URL).status_code == 200


def test_supporting_is_rate_limited_per_ip(app, client, centre):
    app.config["RATELIMIT_WISH_SUPPORT"] = "2 per minute"
    wishes = [make_wish(centre) for _ in range(3)]
    codes = []
    for wish in wishes:
        client.delete_cookie(COOKIE)
        codes.append(client.post(f"{URL}/{wish.id}/unterstuetzen").status_code)
    assert codes == [302, 302, 429]
    assert [Wish.get_by_id(w.id).support_count for w in wishes] == [1, 1, 0]


def test_the_public_list_ranks_and_shows_no_address(client, centre):
    english(client)
    make_wish(centre, "Wenig", supports=1)
    make_wish(centre, "Beliebt", supports=9)
    make_wish(centre, "Abgelehnt", status="declined", answer="Kein Raum frei.")
    make_wish(
        centre, "Geheim", email="geheim@example.org", email_consent_at=Wish.created_at.default()
    )
    body = client.get(URL).get_data(as_text=True)
    assert body.index("Beliebt") < body.index("Wenig") < body.index("Abgelehnt")
    assert "Kein Raum frei." in body
    assert "geheim@example.org" not in body
    assert "Answer wishes" not in body  # no door for people who may not answer


def test_the_public_list_takes_a_fixed_number_of_queries(client, centre):
    def count(n):
        for i in range(n):
            make_wish(centre, f"Wunsch {n}-{i}", supports=i % 4)
        with count_queries() as counter:
            assert client.get(URL).status_code == 200
        return counter.count

    small, large = count(2), count(40)
    assert small == large
    assert large <= 4


def test_unknown_centre_is_not_found(client, conn):
    assert client.get("/zentren/gibt-es-nicht/wuensche").status_code == 404


def test_the_realised_section_lists_realised_wishes_with_their_activity(app, conn, centre):
    from flask import render_template

    from tests.factories import make_activity
    from volunteer_app.wishes.queries import realised_wishes

    activity = make_activity(centre, title="Babymassage am Dienstag")
    hidden = make_activity(centre, title="Internes Treffen", is_public=False)
    make_wish(
        centre,
        "Babymassage",
        status="realised",
        activity=activity,
        realised_at=Wish.created_at.default(),
    )
    make_wish(
        centre, "Intern", status="realised", activity=hidden, realised_at=Wish.created_at.default()
    )
    with count_queries() as counter:
        items = realised_wishes(centre.id)
    assert counter.count == 1
    assert [(i.title, i.activity_title) for i in items] == [
        ("Babymassage", "Babymassage am Dienstag")
    ]
    with app.test_request_context():
        html = render_template(
            "wishes/_realised_section.html", realised_wishes=items, centre=centre
        )
    assert "Babymassage am Dienstag" in html and "Internes Treffen" not in html
