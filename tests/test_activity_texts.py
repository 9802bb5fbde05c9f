"""Activity texts in several languages: saving them with the activity (all or nothing), the
coordinators' form, and what family and volunteer pages show in which language, marked how.

The feeds in a language are in tests/test_feeds_content.py, test_feeds_http.py and
test_feeds_pages.py.
"""

from __future__ import annotations

import datetime as dt
import re

import peewee as pw
import pytest

from tests.factories import builtin, make_coordinator, make_signup, make_user, reload
from tests.factories_centres import count_queries, english
from tests.factories_programme import freeze_now, programme_centre, reading_hour, slot_at
from tests.factories_wishes import make_wish
from volunteer_app.activities import services, texts
from volunteer_app.activities.models import Activity, ActivityText
from volunteer_app.centres.queries import today
from volunteer_app.common.errors import DomainError

pytestmark = pytest.mark.dates  # the programme pages show dates from "now" on

# Wednesday 16 December 2026, 12:00 in Berlin (as tests/test_programme_pages.py).
NOW = dt.datetime(2026, 12, 16, 11, 0)
THU = dt.date(2026, 12, 17)

UK_TITLE = "Година читання вголос"
UK_TEXT = "Книжки з картинками, прочитані вголос."


@pytest.fixture
def centre(conn, monkeypatch):
    freeze_now(monkeypatch, NOW)
    return programme_centre()


@pytest.fixture
def coordinator(centre):
    return make_coordinator(centre, name="Clara Auerbach")


def activity_data(coordinator, **fields) -> dict:
    """What the activity form hands the service (German fields; ``texts`` when given)."""
    data = {
        "title": "Vorlesestunde",
        "category_id": builtin("reading").id,
        "description": "Bilderbücher, vorgelesen.\n\nDanach Zeit zum Anschauen.",
        "place": "Leseecke im Erdgeschoss",
        "responsible_id": coordinator.id,
        "audience": "Kinder von 3 bis 6 Jahren",
        "is_public": True,
        "signup_mode": "open",
        "cancel_deadline_hours": 24,
        "volunteers_needed": 2,
    }
    data.update(fields)
    return data


def stored(activity) -> dict[str, tuple[str, str]]:
    return {
        t.language: (t.title, t.description)
        for t in ActivityText.select().where(ActivityText.activity == activity.id)
    }


def add_texts(activity, **by_language: tuple[str, str]) -> None:
    for code, (title, description) in by_language.items():
        ActivityText.create(activity=activity, language=code, title=title, description=description)


def test_the_languages_are_those_of_the_pages_without_german(app):
    languages = app.config["LANGUAGES"]
    assert set(texts.TEXT_LANGUAGES) == set(languages) - {app.config["BABEL_DEFAULT_LOCALE"]}
    assert len(texts.TEXT_LANGUAGES) == len(set(texts.TEXT_LANGUAGES))


# --- The service: saved with the activity, all or nothing ---------------------------------------


def test_create_saves_the_given_languages_and_skips_empty_ones(centre, coordinator):
    given = {
        "uk": {"title": f"  {UK_TITLE} ", "description": UK_TEXT},
        "en": {"title": "Story time", "description": ""},
        "ar": {"title": "", "description": ""},
    }
    activity = services.create_activity(
        centre, activity_data(coordinator, texts=given), actor=coordinator
    )
    assert stored(activity) == {"uk": (UK_TITLE, UK_TEXT), "en": ("Story time", "")}


def test_update_changes_removes_and_keeps_languages(centre, coordinator):
    activity = reading_hour(centre)
    add_texts(
        activity, uk=(UK_TITLE, UK_TEXT), en=("Story time", "Picture books."), ar=("قراءة", "")
    )
    before = reload(activity).updated_at
    given = {
        "uk": {"title": "Читання", "description": ""},  # changed
        "en": {"title": "", "description": ""},  # emptied: removed
        "pl": {"title": "Czytanie", "description": "Książki z obrazkami."},  # added
    }  # Arabic is not named: it stays as it is
    services.update_activity(
        reload(activity), activity_data(coordinator, texts=given), actor=coordinator
    )
    assert stored(activity) == {
        "uk": ("Читання", ""),
        "ar": ("قراءة", ""),
        "pl": ("Czytanie", "Książki z obrazkami."),
    }
    # The family feeds' revision moves with the activity's updated_at.
    assert reload(activity).updated_at > before
    # Data without texts (jobs, the demo, older callers) leaves them alone.
    services.update_activity(reload(activity), activity_data(coordinator), actor=coordinator)
    assert set(stored(activity)) == {"uk", "ar", "pl"}


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"uk": {"title": "x" * 121, "description": ""}}, "title_uk", "at most 120 characters"),
        ({"ar": {"title": "ok", "description": "y" * 601}}, "description_ar", "at most 600"),
        ({"fa_AF": {"title": "", "description": "بدون عنوان"}}, "title_fa_AF", "title"),
        ({"ro": {"title": "Citire\x1b", "description": ""}}, "title_ro", "control characters"),
        ({"xx": {"title": "Unknown", "description": ""}}, None, "offered languages"),
        ({"de": {"title": "Deutsch", "description": ""}}, None, "offered languages"),
        ({"uk": "Година"}, "title_uk", "check this entry"),
        ({"uk": {"title": 5, "description": ""}}, "title_uk", "check this entry"),
    ],
)
def test_bad_texts_are_refused_and_nothing_is_written(
    app, centre, coordinator, given, field, message
):
    activity = reading_hour(centre)
    add_texts(activity, uk=(UK_TITLE, UK_TEXT))
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(DomainError) as refused:
            services.update_activity(
                reload(activity),
                activity_data(coordinator, title="Neuer Titel", texts=given),
                actor=coordinator,
            )
        with pytest.raises(DomainError):
            services.create_activity(
                centre, activity_data(coordinator, title="Neu", texts=given), actor=coordinator
            )
    assert refused.value.field == field
    assert message in refused.value.message
    assert reload(activity).title == "Vorlesestunde"
    assert stored(activity) == {"uk": (UK_TITLE, UK_TEXT)}
    assert Activity.select().count() == 1


def test_a_failure_while_writing_the_texts_rolls_back_the_activity(
    centre, coordinator, monkeypatch
):
    activity = reading_hour(centre)
    add_texts(activity, uk=(UK_TITLE, UK_TEXT), en=("Story time", ""))

    def broken(*args, **kwargs):
        raise pw.IntegrityError("disk full")

    monkeypatch.setattr(ActivityText, "insert_many", broken)
    given = {"uk": {"title": "Читання", "description": ""}, "en": {"title": "", "description": ""}}
    with pytest.raises(pw.IntegrityError):
        services.update_activity(
            reload(activity),
            activity_data(coordinator, title="Neuer Titel", texts=given),
            actor=coordinator,
        )
    with pytest.raises(pw.IntegrityError):
        services.create_activity(
            centre, activity_data(coordinator, title="Neu", texts=given), actor=coordinator
        )
    # Neither the new title, nor the removed English text, nor a new activity.
    assert reload(activity).title == "Vorlesestunde"
    assert stored(activity) == {"uk": (UK_TITLE, UK_TEXT), "en": ("Story time", "")}
    assert Activity.select().count() == 1


def test_texts_go_with_their_activity(centre):
    activity = reading_hour(centre)
    add_texts(activity, uk=(UK_TITLE, ""))
    Activity.delete().where(Activity.id == activity.id).execute()
    assert ActivityText.select().count() == 0


def test_pick_falls_back_to_german_per_field(centre):
    activity = reading_hour(centre)
    text = ActivityText(activity=activity, language="uk", title=UK_TITLE, description="")
    assert texts.pick(activity, {activity.id: text}, "uk") == texts.Shown(
        UK_TITLE, activity.description, "", "de"
    )
    assert texts.pick(activity, text, "ar") == texts.Shown(
        "Vorlesestunde", activity.description, "de", "de"
    )
    assert texts.pick(activity, None, "de") == texts.Shown("Vorlesestunde", activity.description)


@pytest.mark.parametrize(
    ("page", "attrs"),
    [
        ("ar", ' lang="de" dir="ltr"'),
        ("fa-AF", ' lang="de" dir="ltr"'),
        ("uk", ' lang="de"'),
        ("de", ""),
    ],
)
def test_german_is_marked_with_its_direction_where_the_page_differs(app, centre, page, attrs):
    activity = reading_hour(centre)
    with app.test_request_context(query_string={"lang": page}):
        shown = texts.pick(activity)
        assert str(shown.title_attrs) == attrs == str(shown.description_attrs)


# --- The coordinators' form ------------------------------------------------------------------


def form_data(coordinator, **fields) -> dict:
    data = {
        "title": "Vorlesestunde",
        "category_id": str(builtin("reading").id),
        "description": "Bilderbücher, vorgelesen.",
        "place": "Leseecke im Erdgeschoss",
        "responsible_id": str(coordinator.id),
        "is_public": "y",
        "signup_mode": "open",
        "cancel_deadline_hours": "24",
        "volunteers_needed": "2",
    }
    data.update(fields)
    return data


def test_the_form_saves_shows_and_removes_languages(client, login_as, centre, coordinator):
    activity = reading_hour(centre, responsible=coordinator)
    url = f"/zentren/pusteblume/angebote/{activity.id}/bearbeiten"
    english(login_as(coordinator))
    page = client.get(url).get_data(as_text=True)
    assert "Title and description in other languages" in page
    for name in ("Українська", "العربية", "Русский", "Polski", "Română", "Dari — دری", "English"):
        assert name in page
    assert re.search(r'<input[^>]*id="title_fa_AF"[^>]*>', page)
    # One closed disclosure per language (nothing to correct yet).
    assert page.count('<details class="other-language">') == 7

    response = client.post(
        url,
        data=form_data(
            coordinator,
            title_uk=UK_TITLE,
            description_uk="Рядок один.\r\nРядок два.",
            title_ar="ساعة القراءة",
        ),
    )
    assert response.status_code == 302
    assert stored(activity) == {
        "uk": (UK_TITLE, "Рядок один.\nРядок два."),
        "ar": ("ساعة القراءة", ""),
    }

    page = client.get(url).get_data(as_text=True)
    title_uk = re.search(r'<input[^>]*id="title_uk"[^>]*>', page).group(0)
    assert f'value="{UK_TITLE}"' in title_uk
    assert 'lang="uk"' in title_uk and 'dir="auto"' in title_uk and 'maxlength="120"' in title_uk
    description = re.search(r'<textarea[^>]*id="description_uk"[^>]*>', page).group(0)
    assert 'lang="uk"' in description and 'dir="auto"' in description
    assert re.search(r'<input[^>]*id="title_ar"[^>]*lang="ar"', page)
    assert re.search(r'<input[^>]*id="title_fa_AF"[^>]*lang="fa-AF"', page)
    shown = client.get(f"/zentren/pusteblume/angebote/{activity.id}").get_data(as_text=True)
    assert '<span lang="uk" dir="auto">Українська</span>' in shown

    # A browser sends the emptied fields empty: Arabic is removed, the Ukrainian description too.
    emptied = {"title_ar": "", "description_ar": "", "description_uk": ""}
    response = client.post(url, data=form_data(coordinator, title_uk=UK_TITLE, **emptied))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert stored(activity) == {"uk": (UK_TITLE, "")}


def test_the_form_refuses_too_long_or_untitled_texts_and_keeps_the_input(
    client, login_as, centre, coordinator
):
    activity = reading_hour(centre, responsible=coordinator)
    add_texts(activity, en=("Story time", ""))
    url = f"/zentren/pusteblume/angebote/{activity.id}/bearbeiten"
    english(login_as(coordinator))
    response = client.post(
        url,
        data=form_data(
            coordinator,
            title="Neuer Titel",
            title_uk="ч" * 121,
            description_ar="بدون عنوان",
            title_en="Story hour",
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Please use at most 120 characters." in page
    assert "Please enter the title in this language too." in page
    assert page.count('<details class="other-language has-error" open>') == 2
    assert "بدون عنوان" in page  # what was typed is kept
    assert reload(activity).title == "Vorlesestunde"
    assert stored(activity) == {"en": ("Story time", "")}


def test_a_new_activity_gets_its_texts_in_the_same_step(client, login_as, centre, coordinator):
    english(login_as(coordinator))
    response = client.post(
        "/zentren/pusteblume/angebote/neu",
        data=form_data(coordinator, title_en="Story time", description_en="Picture books."),
    )
    assert response.status_code == 302
    activity = Activity.get(Activity.title == "Vorlesestunde")
    assert stored(activity) == {"en": ("Story time", "Picture books.")}


def test_a_wish_realised_as_an_activity_keeps_its_texts(centre, coordinator):
    from volunteer_app.wishes import services as wish_services

    wish = make_wish(centre, "Vorlesen für Kleine")
    given = {"uk": {"title": UK_TITLE, "description": ""}}
    activity = wish_services.realise_wish(
        reload(wish), activity_data(coordinator, texts=given), actor=coordinator
    )
    assert stored(activity) == {"uk": (UK_TITLE, "")}


# --- Family pages ----------------------------------------------------------------------------


def in_language(client, url: str, code: str) -> str:
    response = client.get(url, query_string={"lang": code})
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def entry_link(page: str, activity) -> str:
    return re.search(
        rf'<a href="/zentren/pusteblume/programm/{activity.id}"[^>]*>[^<]*</a>', page
    ).group(0)


def test_the_programme_shows_the_familys_language_and_marks_german(client, centre):
    reading = reading_hour(centre)
    add_texts(reading, uk=(UK_TITLE, UK_TEXT))
    baking = reading_hour(centre, title="Backen mit Oma", description="")
    slot_at(reading, THU, 15)
    slot_at(baking, THU, 17)

    page = in_language(client, "/zentren/pusteblume", "uk")
    assert '<html lang="uk"' in page
    assert entry_link(page, reading).endswith(f'">{UK_TITLE}</a>')  # no lang: the page's own
    assert 'lang="de">Backen mit Oma</a>' in entry_link(page, baking)

    page = in_language(client, "/zentren/pusteblume", "de")
    assert entry_link(page, reading).endswith('">Vorlesestunde</a>')
    assert 'lang="de"' not in entry_link(page, baking)
    assert UK_TITLE not in page


def test_the_activity_page_in_the_familys_language_or_german(client, centre):
    reading = reading_hour(centre)
    add_texts(reading, uk=(UK_TITLE, UK_TEXT), en=("Story time", ""))
    slot_at(reading, THU, 15)
    url = f"/zentren/pusteblume/programm/{reading.id}"

    page = in_language(client, url, "uk")
    assert f"<h1>{UK_TITLE}</h1>" in page
    assert f"<title>{UK_TITLE} · ThEKiZ Pusteblume" in page
    assert f"<p>{UK_TEXT}</p>" in page and "Bilderbücher" not in page
    assert re.search(rf"<div>\s*<p>{UK_TEXT}</p>", page)  # no lang mark: the page's own
    assert "kalender.ics?lang=uk" in page  # the calendar in the same language

    # A title without a description: the German description, marked as German.
    page = in_language(client, url, "en")
    assert "<h1>Story time</h1>" in page
    assert re.search(r'<div lang="de">\s*<p>Bilderbücher, vorgelesen.</p>', page)

    # No Arabic text: German, marked, inside the right-to-left page.
    page = in_language(client, url, "ar")
    assert '<html lang="ar" dir="rtl">' in page
    assert '<h1 lang="de" dir="ltr">Vorlesestunde</h1>' in page
    assert 'aria-current="page" lang="de" dir="ltr">Vorlesestunde</a>' in page


def test_the_realised_wishes_name_the_activity_in_the_familys_language(client, centre):
    reading = reading_hour(centre)
    add_texts(reading, uk=(UK_TITLE, ""))
    make_wish(centre, "Mehr Bücher", status="realised", activity=reading, realised_at=NOW)
    page = in_language(client, "/zentren/pusteblume", "uk")
    section = page[page.index('class="card realised-wishes"') :]
    assert f'/programm/{reading.id}">{UK_TITLE}</a>' in section
    page = in_language(client, "/zentren/pusteblume", "pl")
    section = page[page.index('class="card realised-wishes"') :]
    assert f'/programm/{reading.id}" lang="de">Vorlesestunde</a>' in section


def test_the_texts_of_many_activities_are_one_query(app, client, centre):
    app.config["PUBLIC_PAGE_CACHE_BYTES"] = 0  # each request renders (else: kept, one query)
    counts = {}
    for n in (2, 12):
        for i in range(n):
            activity = reading_hour(centre, title=f"Angebot {n}-{i}")
            add_texts(activity, uk=(f"Захід {n}-{i}", ""))
            slot_at(activity, THU, 8 + i % 10)
            # Realised wishes name their activity in the same language (joined: no query).
            make_wish(
                centre, f"Wunsch {n}-{i}", status="realised", activity=activity, realised_at=NOW
            )
        ids = [a.id for a in Activity.select(Activity.id)]
        with count_queries() as loading:
            found = texts.texts_for(ids, "uk")
        assert len(found) == len(ids) and loading.count == 1
        with count_queries() as german:
            assert texts.texts_for(ids, "de") == {}
        assert german.count == 0
        client.get("/zentren/pusteblume?lang=uk")  # warm up (catalogue, templates)
        pages = {}
        for code in ("de", "uk"):
            with count_queries() as page:
                html = in_language(client, "/zentren/pusteblume", code)
            pages[code] = page.count
        assert f"Захід {n}-{n - 1}" in html
        counts[n] = pages
    assert counts[2] == counts[12], counts
    # The page in Ukrainian reads the texts once more than the German one, whatever the rows.
    assert counts[2]["uk"] == counts[2]["de"] + 1, counts


# --- Volunteer pages -------------------------------------------------------------------------


def test_volunteer_pages_name_the_activity_in_the_persons_language(client, login_as, centre):
    reading = reading_hour(centre)
    add_texts(reading, uk=(UK_TITLE, UK_TEXT))
    other = reading_hour(centre, title="Gartentag", description="")
    day = today() + dt.timedelta(days=3)  # the volunteer pages use the real clock
    slot = slot_at(reading, day, 15, capacity=3)
    person = make_user(locale="uk")
    make_signup(slot_at(other, day, 17, capacity=3), person)
    login_as(person)

    page = client.get(f"/termine/{slot.id}").get_data(as_text=True)
    assert f"<h1>{UK_TITLE}</h1>" in page
    # Volunteers need the complete German description (what to do, what to bring).
    assert re.search(r'<div lang="de"><p>Bilderbücher, vorgelesen.</p>', page)
    browse = client.get("/termine/").get_data(as_text=True)
    assert f'">{UK_TITLE}</a></h3>' in browse
    assert 'lang="de">Gartentag</a></h3>' in browse
    mine = client.get("/meine-termine").get_data(as_text=True)
    assert 'lang="de">Gartentag</a>' in mine
