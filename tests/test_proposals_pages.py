"""Pages of proposals: run page (query count, funnel words), operator-wide runs, "Passt zu Ihnen",
weekly e-mail (idempotent per ISO week, both languages), the slot's funnel page."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories_centres import count_queries
from tests.factories_proposals import (
    make_activity,
    make_centre,
    make_check,
    make_coordinator,
    make_operator,
    make_volunteer,
    next_weekday,
    proposals_of,
    reload,
    slot_on,
)
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.proposals import queries, services, suggestions
from volunteer_app.proposals.models import MatchRun, WeeklySuggestions

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


@pytest.fixture
def centre(app, conn):
    return make_centre(name="Zentrum Linde", slug="linde")


@pytest.fixture
def coordinator(centre):
    return make_coordinator(centre, name="Clara Koordinatorin")


def _run(centre, coordinator, day, days=0, **kw):
    return reload(
        services.start_run(
            centre,
            operator_wide=kw.pop("operator_wide", False),
            period_from=day,
            period_to=day + dt.timedelta(days=days),
            actor=coordinator,
            **kw,
        )
    )


def _fill(centre, day, slots: int, people: int):
    activity = make_activity(centre, title="Vorlesestunde", volunteers_needed=2)
    for i in range(slots):
        slot_on(activity, day + dt.timedelta(days=i % 6), hour=9 + (i // 6))
    for _ in range(people):
        make_volunteer(centre, max_per_week=3, max_per_month=10)


def _page_queries(client, run) -> tuple[int, str]:
    with count_queries() as counter:
        response = client.get(f"/vorschlaege/{run.id}")
    assert response.status_code == 200
    return counter.count, response.get_data(as_text=True)


def test_run_page_query_count_is_pinned(centre, coordinator, client, login_as):
    login_as(coordinator)
    day = next_weekday(0)
    _fill(centre, day, slots=2, people=2)
    small, page = _page_queries(client, _run(centre, coordinator, day, days=6))
    assert page.count('class="card slot-block') == 2
    _fill(centre, day, slots=20, people=15)
    large_run = _run(centre, coordinator, day, days=6)
    large, page = _page_queries(client, large_run)
    assert page.count('class="card slot-block') == 22
    assert len(proposals_of(large_run)) > 20
    assert large == small


def test_empty_slot_shows_why_in_words(centre, coordinator, client, login_as):
    login_as(coordinator)
    day = next_weekday(1)
    activity = make_activity(centre, title="Vorlesestunde", is_child_facing=True)
    slot_on(activity, day)
    for _ in range(3):
        make_volunteer(centre)  # like reading, have time, no certificate
    make_volunteer(centre, categories=("gardening",))
    run = _run(centre, coordinator, day)
    assert run.counts["proposals"] == 0
    page = client.get(f"/vorschlaege/{run.id}").get_data(as_text=True)
    assert "3 mögen Vorlesen" in page
    assert "3 haben dienstags Zeit" in page
    assert "0 mit gültigem Führungszeugnis" in page
    client.post("/language", data={"lang": "en", "next": "/"})
    page = client.get(f"/vorschlaege/{run.id}").get_data(as_text=True)
    assert "3 like Reading aloud" in page and "0 with a valid police certificate" in page


def test_reasons_in_words_with_certificate_month(centre, coordinator, client, login_as):
    login_as(coordinator)
    day = next_weekday(1)
    slot_on(make_activity(centre, is_child_facing=True), day)
    person = make_volunteer(centre, name="Anna Aurich")
    check = make_check(person, centre)
    run = _run(centre, coordinator, day)
    page = client.get(f"/vorschlaege/{run.id}").get_data(as_text=True)
    until = check.inspected_on.replace(year=check.inspected_on.year + 5) - dt.timedelta(days=1)
    assert f"Führungszeugnis gültig bis {until:%m/%Y}" in page
    assert "mag Vorlesen" in page and "dienstags frei" in page


def test_slot_funnel_page(centre, coordinator, client, login_as):
    login_as(coordinator)
    day = next_weekday(3)
    slot = slot_on(make_activity(centre, category_key="gardening"), day)
    make_volunteer(centre)
    page = client.get(f"/termine/{slot.id}/warum-leer").get_data(as_text=True)
    assert "0 mögen Gärtnern" in page
    assert "Niemand hat angegeben" in page


def test_operator_wide_run_needs_every_centre(app, conn, client, login_as):
    operator = make_operator(name="Träger Ahorn")
    a = make_centre(slug="ahorn-a", operator=operator)
    b = make_centre(slug="ahorn-b", operator=operator)
    both = make_coordinator(a, b)
    only_a = make_coordinator(a)
    day = next_weekday(2)
    slot_a = slot_on(make_activity(a), day)
    slot_b = slot_on(make_activity(b), day, hour=9)
    make_volunteer(a, b, max_per_week=3)
    make_volunteer(b)
    run = _run(a, both, day, operator_wide=True, allow_same_day=True)
    assert run.operator_id == operator.id and run.centre_id is None
    assert {p.slot_id for p in proposals_of(run)} == {slot_a.id, slot_b.id}
    from volunteer_app.common.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.start_run(a, operator_wide=True, period_from=day, period_to=day, actor=only_a)
    login_as(only_a)
    assert client.get(f"/vorschlaege/{run.id}").status_code == 403
    assert 'value="operator"' not in client.get("/zentren/ahorn-a/vorschlaege").get_data(
        as_text=True
    )
    login_as(both)
    assert 'value="operator"' in client.get("/zentren/ahorn-a/vorschlaege").get_data(as_text=True)
    assert client.get(f"/vorschlaege/{run.id}").status_code == 200


def test_suggestions_page_and_start_box(centre, client, login_as):
    day = next_weekday(1)
    activity = make_activity(centre, title="Vorlesestunde")
    slot = slot_on(activity, day)
    slot_on(make_activity(centre, title="Gartentag", category_key="gardening"), day, hour=9)
    person = make_volunteer(centre, name="Anna Aurich")
    login_as(person)
    page = client.get("/mein-engagement/passt-zu-ihnen").get_data(as_text=True)
    assert "Vorlesestunde" in page and "mag Vorlesen" in page and "Gartentag" not in page
    assert f"/termine/{slot.id}" in page
    box = queries.start_box(person)
    assert [s.slot.id for s in box.suggestions] == [slot.id] and box.invitations == []
    assert queries.start_box(make_coordinator(centre)) is None


def test_suggestions_without_profile_invite_to_fill_it(centre, client, login_as):
    from tests.factories_proposals import make_user

    login_as(make_user())
    page = client.get("/mein-engagement/passt-zu-ihnen").get_data(as_text=True)
    assert "/mein-engagement/profil" in page


def test_weekly_mail_once_per_iso_week_in_each_language(centre, client, login_as, runner):
    day = next_weekday(1)
    slot_on(make_activity(centre, title="Vorlesestunde"), day)
    de = make_volunteer(centre, email="de@example.org")
    en = make_volunteer(centre, email="en@example.org", locale="en")
    nothing = make_volunteer(centre, categories=("hiking",), email="no@example.org")
    make_volunteer(centre, email="notasked@example.org")
    for person in (de, en, nothing):
        services.set_weekly_suggestions(person, True)
    first = suggestions.send_weekly_suggestions()
    assert (first.sent, first.nothing_to_suggest, first.already_sent) == (2, 1, 0)
    again = runner.invoke(args=["jobs", "send-suggestions"])
    assert "Suggestions queued: 0" in again.output
    mails = {m.recipient: m for m in OutboxMessage.select()}
    assert set(mails) == {"de@example.org", "en@example.org"}
    assert mails["de@example.org"].subject == "Termine, die diese Woche zu Ihnen passen"
    assert "mag Vorlesen" in mails["de@example.org"].body_text
    assert mails["en@example.org"].subject == "Dates that suit you this week"
    assert "likes Reading aloud" in mails["en@example.org"].body_html
    # Next week it goes out again.
    WeeklySuggestions.update(last_week="2000-W01").execute()
    assert suggestions.send_weekly_suggestions().sent == 2


def test_weekly_opt_in_and_out_from_the_page(centre, client, login_as):
    person = make_volunteer(centre)
    login_as(person)
    client.post("/mein-engagement/passt-zu-ihnen/wochenmail", data={"enabled": "y"})
    assert WeeklySuggestions.select().where(WeeklySuggestions.user == person.id).exists()
    page = client.get("/mein-engagement/passt-zu-ihnen").get_data(as_text=True)
    assert "checked" in page
    client.post("/mein-engagement/passt-zu-ihnen/wochenmail", data={})
    assert not WeeklySuggestions.select().exists()


def test_invitation_in_the_app_only_for_the_invited_person(centre, coordinator, client, login_as):
    day = next_weekday(1)
    slot = slot_on(make_activity(centre, title="Vorlesestunde"), day)
    anna = make_volunteer(centre, name="Anna Aurich")
    run = _run(centre, coordinator, day)
    services.confirm_proposals(run, None, direct=False, actor=coordinator)
    (invitation,) = proposals_of(run)
    other = make_volunteer(centre)
    login_as(other)
    assert (
        client.post(
            f"/mein-engagement/einladungen/{invitation.id}", data={"answer": "accept"}
        ).status_code
        == 404
    )
    login_as(anna)
    page = client.get("/mein-engagement/passt-zu-ihnen").get_data(as_text=True)
    assert "Sie wurden angefragt" in page
    client.post(f"/mein-engagement/einladungen/{invitation.id}", data={"answer": "accept"})
    assert reload(invitation).status == "accepted" and reload(slot).taken == 1


def test_invitation_mail_in_both_languages(centre, coordinator):
    day = next_weekday(1)
    slot_on(make_activity(centre, title="Vorlesestunde", volunteers_needed=2), day)
    make_volunteer(centre, email="de@example.org")
    make_volunteer(centre, email="en@example.org", locale="en")
    run = _run(centre, coordinator, day)
    services.confirm_proposals(run, None, direct=False, actor=coordinator)
    mails = {m.recipient: m for m in OutboxMessage.select()}
    assert mails["de@example.org"].subject.startswith("Helfen Sie mit? Vorlesestunde")
    assert "Warum wir an Sie gedacht haben: mag Vorlesen" in mails["de@example.org"].body_text
    assert mails["en@example.org"].subject.startswith("Would you help? Vorlesestunde")
    assert "likes Reading aloud" in mails["en@example.org"].body_html
    for mail in mails.values():
        assert "/termin-einladung/" in mail.body_text and "/termin-einladung/" in mail.body_html


def test_cli_match_solves_a_queued_run(centre, coordinator, runner):
    day = next_weekday(1)
    slot_on(make_activity(centre), day)
    make_volunteer(centre)
    run = MatchRun.create(centre=centre, period_from=day, period_to=day, created_by=coordinator)
    result = runner.invoke(args=["jobs", "match", str(run.id)])
    assert "done" in result.output
    assert reload(run).status == "done" and len(proposals_of(run)) == 1
    assert "skipped" in runner.invoke(args=["jobs", "match", str(run.id)]).output


def test_failed_solve_is_shown_and_never_half_written(
    centre, coordinator, monkeypatch, client, login_as
):
    from volunteer_app import matching

    def broken(problem, engine="auto"):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(matching, "solve", broken)
    day = next_weekday(1)
    slot_on(make_activity(centre), day)
    make_volunteer(centre)
    run = _run(centre, coordinator, day)
    assert run.status == "failed" and proposals_of(run) == []
    login_as(coordinator)
    page = client.get(f"/vorschlaege/{run.id}").get_data(as_text=True)
    assert "konnten nicht berechnet werden" in page and "exploded" not in page
