"""The families' public pages kept rendered per ETag in the process (``PageStore`` in
volunteer_app/revisions/conditional.py, ``PUBLIC_PAGE_CACHE_BYTES``): a request without a
validator for a page this process has rendered gets the kept bytes without rendering; every
change families see names a new ETag, so it is on the page at once; only what everyone may
see is kept."""

from __future__ import annotations

import contextlib
import threading

import pytest
from flask import template_rendered

from tests.factories import make_activity, make_centre, make_coordinator
from tests.factories_activities import make_slot
from tests.factories_centres import count_queries
from tests.factories_feeds import days_from_today
from volunteer_app.activities.models import Activity, Slot
from volunteer_app.revisions import conditional

pytestmark = pytest.mark.dates  # the programme shows the coming weeks

HEADERS = ("Content-Type", "ETag", "Last-Modified", "Cache-Control", "Vary")


@pytest.fixture
def centre(app, conn):
    conditional.page_store(app).clear()
    centre = make_centre(slug="anger", name="Zentrum Anger")
    activity = make_activity(centre, title="Krabbelgruppe")
    make_slot(activity, day=days_from_today(3))
    centre.activity = activity
    return centre


def _urls(centre) -> list[str]:
    return [
        "/zentren/anger",
        f"/zentren/anger/programm/{centre.activity.id}",
        "/zentren/anger/leichte-sprache",
    ]


@contextlib.contextmanager
def rendered(app):
    """The names of the templates rendered inside the block."""
    names: list[str] = []

    def note(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(note, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(note, app)


def _page(client, url: str, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_the_second_request_renders_nothing(app, client, centre):
    for url in _urls(centre):
        with rendered(app) as first_renders:
            first = client.get(url)
        assert first.status_code == 200 and first_renders, url
        with rendered(app) as renders, count_queries() as counted:
            again = client.get(url)
        assert renders == [], url
        assert counted.count == 1, counted.queries  # the centre and its revision
        assert again.status_code == 200 and again.data == first.data, url
        for name in HEADERS:
            assert again.headers[name] == first.headers[name], (url, name)
        assert "Set-Cookie" not in again.headers
        head = client.head(url)
        assert head.status_code == 200 and head.headers["ETag"] == first.headers["ETag"]


def test_a_write_is_on_the_page_at_once(client, centre):
    url = "/zentren/anger"
    assert "Krabbelgruppe" in _page(client, url)
    assert "Neue Spielstunde" not in _page(client, url)  # kept

    make_slot(make_activity(centre, title="Neue Spielstunde"), day=days_from_today(4))
    assert "Neue Spielstunde" in _page(client, url)

    slot = Slot.get(Slot.activity == centre.activity.id)
    Slot.update(status="cancelled", cancel_reason="Erkältung").where(Slot.id == slot.id).execute()
    page = _page(client, url)
    assert "Abgesagt" in page and "Erkältung" in page

    Activity.update(title="Krabbeltreff").where(Activity.id == centre.activity.id).execute()
    page = _page(client, url)
    assert "Krabbeltreff" in page and "Krabbelgruppe" not in page
    activity_page = _page(client, f"/zentren/anger/programm/{centre.activity.id}")
    assert "Krabbeltreff" in activity_page


def test_a_logged_in_person_never_gets_a_kept_page_nor_is_theirs_kept(
    app, client, centre, login_as
):
    url = "/zentren/anger"
    edit = 'href="/zentren/anger/bearbeiten"'
    coordinator = make_coordinator(centre)
    login_as(coordinator)
    with rendered(app) as renders:
        own = _page(client, url)
    assert renders and edit in own
    assert conditional.page_store(app).items == {}
    with client.session_transaction() as sess:
        sess.clear()  # logged out
    with rendered(app) as renders:
        anonymous = _page(client, url)
    assert renders and edit not in anonymous
    login_as(coordinator)
    with rendered(app) as renders:
        again = _page(client, url)
    assert renders and edit in again  # rendered for them, not the kept anonymous page


def test_a_waiting_message_is_never_kept(app, client, centre):
    url = "/zentren/anger"
    with client.session_transaction() as sess:
        sess["_flashes"] = [("success", "Gespeichert.")]
    assert "Gespeichert." in _page(client, url)
    assert conditional.page_store(app).items == {}
    with rendered(app) as renders:
        page = _page(client, url)
    assert renders and "Gespeichert." not in page  # rendered anew, and now kept
    with client.session_transaction() as sess:
        sess["_flashes"] = [("success", "Noch einmal.")]
    with rendered(app) as renders:
        assert "Noch einmal." in _page(client, url)
    assert renders


def test_language_variants_are_kept_apart(app, client, centre):
    url = "/zentren/anger"
    german = _page(client, url)
    with rendered(app) as renders:
        ukrainian = _page(client, url, **{"Accept-Language": "uk"})
    assert renders and '<html lang="uk"' in ukrainian and '<html lang="de"' in german
    with rendered(app) as renders:
        assert _page(client, url, **{"Accept-Language": "uk"}) == ukrainian
        assert _page(client, url) == german
        arabic = _page(client, url, **{"Accept-Language": "ar"})
    assert renders == ["centres/show.html"] and 'dir="rtl"' in arabic


def test_a_kept_page_still_sets_the_language_cookie_of_its_request(app, centre):
    url = "/zentren/anger?lang=uk"
    first = app.test_client().get(url)
    again = app.test_client().get(url)  # another browser: the kept page, its own cookie
    assert again.data == first.data
    for response in (first, again):
        assert any(c.startswith("lang=uk") for c in response.headers.getlist("Set-Cookie"))
        assert response.headers["Cache-Control"] == "private, no-cache"


def test_the_bound_evicts_the_least_recently_used(app, client, centre):
    make_centre(slug="bach", name="Zentrum Bach")
    size = len(client.get("/zentren/anger").data)
    store = conditional.page_store(app)
    store.clear()
    app.config["PUBLIC_PAGE_CACHE_BYTES"] = size + size // 2  # room for one page
    _page(client, "/zentren/anger")
    _page(client, "/zentren/bach")
    assert store.size <= app.config["PUBLIC_PAGE_CACHE_BYTES"] and len(store.items) == 1
    with rendered(app) as renders:
        _page(client, "/zentren/bach")
        _page(client, "/zentren/anger")
    assert renders == ["centres/show.html"]  # bach was kept, anger had to go

    app.config["PUBLIC_PAGE_CACHE_BYTES"] = size // 2  # a page larger than the bound
    store.clear()
    _page(client, "/zentren/anger")
    assert store.items == {} and store.size == 0

    app.config["PUBLIC_PAGE_CACHE_BYTES"] = 0  # off
    for _ in range(2):
        with rendered(app) as renders:
            _page(client, "/zentren/anger")
        assert renders == ["centres/show.html"]
    assert store.items == {}


def test_concurrent_first_requests_render_once(app, conn):
    store = conditional.page_store(app)
    store.clear()
    go = threading.Event()
    calls: list[int] = []
    bodies: list[bytes] = []

    def render():
        calls.append(1)
        assert go.wait(10)
        return "<p>die Seite</p>"

    def ask():
        with app.test_request_context("/zentren/anger"):
            bodies.append(conditional._rendered("etag-1", render).get_data())

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    # Every request is in: one renders, three wait for its key.
    for _ in range(1000):
        if store._rendering.get("etag-1", [None, 0])[1] == 4:
            break
        threading.Event().wait(0.01)
    else:
        go.set()
        pytest.fail("the requests did not meet at the key's lock")
    with app.test_request_context("/zentren/bach"):  # another key does not wait
        assert conditional._rendered("etag-2", lambda: "<p>B</p>").get_data() == b"<p>B</p>"
    go.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1
    assert bodies == [b"<p>die Seite</p>"] * 4
    assert store._rendering == {}


# --- the JSON API's programme: its 304 from the revision, before anything is rendered ----------


def test_the_api_programme_answers_304_from_the_revision(client, centre):
    url = "/api/v1/centres/anger/programme"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and first.get_json()["items"][0]["title"] == "Krabbelgruppe"
    with count_queries() as counted:
        again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert counted.count == 1, counted.queries  # the centre and its revision
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=60"
    assert "Accept-Language" in again.headers["Vary"]
    assert client.get(url).headers["ETag"] == etag  # the same bytes, the same ETag
    snippet = client.get(f"{url}.html").headers["ETag"]
    assert client.get(f"{url}.html", headers={"If-None-Match": snippet}).status_code == 304

    Activity.update(title="Krabbeltreff").where(Activity.id == centre.activity.id).execute()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["items"][0]["title"] == "Krabbeltreff"
    assert client.get(f"{url}.html", headers={"If-None-Match": snippet}).status_code == 200
    assert client.get("/api/v1/centres/gibt-es-nicht/programme").status_code == 404
