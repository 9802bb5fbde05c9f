"""Messages to volunteers (issue 14, part 1): whom each audience reaches, news that can be
turned off and booking messages that always arrive, the frame in each person's language,
throttled delivery that sends each mail exactly once across an outage, the log, the pages,
retention, erasure and the data download."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests import mailserver
from tests.factories import (
    builtin,
    make_activity,
    make_centre,
    make_coordinator,
    make_signup,
    make_slot,
    make_user,
    reload,
)
from tests.factories_centres import count_queries
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.db import utcnow
from volunteer_app.erasure.services import erase_account
from volunteer_app.messaging import queries, services
from volunteer_app.messaging.models import CentreMessage, MessageOptOut, MessageRecipient
from volunteer_app.notifications.delivery import Result, send_pending
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.privacy.queries import personal_data
from volunteer_app.volunteers.models import Interest, ReachableCentre

smtp_sink = mailserver.smtp_sink


class World:
    pass


@pytest.fixture
def world(conn):
    """Centre A with a coordinator, an activity in "reading" with a coming and a past date,
    and volunteers who are booked, interested, reachable, opted out, or none of these."""
    w = World()
    now = utcnow().replace(microsecond=0)
    w.centre = make_centre(name="ThEKiZ Regenbogenhaus")
    w.other_centre = make_centre(name="ThEKiZ Anderswo")
    w.coordinator = make_coordinator(w.centre, name="Clara Koordinatorin")
    w.stranger = make_coordinator(w.other_centre, name="Bernd Fremd")
    w.activity = make_activity(w.centre, title="Vorlesestunde", category_key="reading")
    w.slot = make_slot(w.activity, starts_at=now + dt.timedelta(days=2))
    w.past = make_slot(w.activity, starts_at=now - dt.timedelta(days=3))
    w.baking = make_activity(w.centre, title="Kuchenbasar", category_key="baking")
    w.other_slot = make_slot(make_activity(w.other_centre), starts_at=now + dt.timedelta(days=2))

    def person(name, locale="de", reach=(), interests=(), **fields):
        user = make_user(name=name, locale=locale, **fields)
        for centre in reach:
            ReachableCentre.create(user=user, centre=centre)
        for key in interests:
            Interest.create(user=user, category=builtin(key))
        return user

    w.ann = person("Ann Abgemeldet", reach=[w.centre])  # booked, turned news off
    make_signup(w.slot, w.ann)
    MessageOptOut.create(user=w.ann)
    w.bob = person("Bob Warteliste", locale="uk")  # on the waiting list
    make_signup(w.slot, w.bob, status="waitlisted")
    w.cid = person("Cid Interessiert", locale="ar", reach=[w.centre], interests=["reading"])
    w.dan = person("Dan Woanders", reach=[w.other_centre], interests=["reading"])
    w.eve = person("Eve Backen", locale="en", reach=[w.centre], interests=["baking"])
    w.fay = person("Fay Vergangen")  # only on last week's date
    make_signup(w.past, w.fay)
    w.gus = person("Gus Abgesagt")
    make_signup(w.slot, w.gus, status="cancelled")
    person("Ina Inaktiv", reach=[w.centre], is_active=False)
    return w


def names(audience) -> set[str]:
    return {u.name.split()[0] for u in audience.recipients}


def test_each_audience_reaches_exactly_its_people(world):
    w, now = world, utcnow()
    slot = queries.audience(w.centre, "slot", w.slot.id, now)
    assert names(slot) == {"Ann", "Bob"} and slot.essential and slot.opted_out == 0
    assert names(queries.audience(w.centre, "slot", w.past.id, now)) == {"Fay"}
    activity = queries.audience(w.centre, "activity", w.activity.id, now)
    assert names(activity) == {"Ann", "Bob"} and activity.essential  # Fay's date is over
    category = queries.audience(w.centre, "category", builtin("reading").id, now)
    assert names(category) == {"Bob", "Cid"} and not category.essential
    assert category.opted_out == 1  # Ann: booked in it, but turned news off
    centre = queries.audience(w.centre, "centre", None, now)
    assert names(centre) == {"Bob", "Cid", "Eve"} and centre.opted_out == 1
    # Another centre's date or activity is no audience here.
    assert queries.audience(w.centre, "slot", w.other_slot.id, now) is None
    with pytest.raises(NotFound):
        services.preview(w.centre, "activity", w.other_slot.activity_id, actor=w.coordinator)
    with pytest.raises(NotAllowed):
        services.preview(w.centre, "centre", None, actor=w.stranger)


def _mails() -> dict[str, OutboxMessage]:
    return {m.recipient: m for m in OutboxMessage.select()}


def test_the_text_as_written_the_frame_in_each_language(world):
    w = world
    text = "Liebe alle,\nmorgen 10 Uhr im Garten.\n<b>nicht fett</b>"
    message = services.send_message(
        w.centre, "centre", None, subject="Gartentag", body=text, actor=w.coordinator
    )
    assert (message.recipient_count, message.opted_out_count, message.essential) == (3, 1, False)
    mails = _mails()
    assert set(mails) == {w.bob.email, w.cid.email, w.eve.email}  # Ann turned news off
    frames = (
        (w.bob, "Clara Koordinatorin з ThEKiZ Regenbogenhaus надсилає вам це повідомлення"),
        (w.cid, "أرسل إليك Clara Koordinatorin من ThEKiZ Regenbogenhaus"),
        (w.eve, "Clara Koordinatorin of ThEKiZ Regenbogenhaus has sent you this message"),
    )
    for person, frame in frames:
        mail = mails[person.email]
        assert mail.locale == person.locale
        assert mail.subject == "ThEKiZ Regenbogenhaus: Gartentag"
        assert text in mail.body_text  # as written, in every language
        assert frame in mail.body_text, (person.locale, mail.body_text)
        assert "&lt;b&gt;nicht fett&lt;/b&gt;" in mail.body_html  # escaped, never markup
        link = re.search(r"http\S+/nachrichten/abbestellen/\S+", mail.body_text).group(0)
        assert services.user_of_token(link.rsplit("/", 1)[1]).id == person.id
    recipients = MessageRecipient.select().where(MessageRecipient.message == message.id)
    assert {r.outbox_id for r in recipients} == {m.id for m in mails.values()}

    # About their own date: it reaches Ann too, and offers no opt-out.
    OutboxMessage.delete().execute()
    services.send_message(
        w.centre, "slot", w.slot.id, subject="Raum", body="Heute Raum 2.", actor=w.coordinator
    )
    mails = _mails()
    assert set(mails) == {w.ann.email, w.bob.email}
    assert all("abbestellen" not in m.body_text for m in mails.values())


def test_a_refused_message_writes_nothing(world):
    w = world
    nobody = make_activity(w.centre, title="Leer")
    cases = [
        (dict(kind="activity", ref=nobody.id), Conflict),
        (dict(kind="slot", ref=w.other_slot.id), NotFound),
        (dict(kind="centre", ref=None, body="x" * 5001), DomainError),
        (dict(kind="centre", ref=None, subject="  "), DomainError),
        (dict(kind="centre", ref=None, actor=w.stranger), NotAllowed),
    ]
    for change, error in cases:
        args = {"subject": "Hallo", "body": "Text", "actor": w.coordinator, **change}
        with pytest.raises(error):
            services.send_message(w.centre, args.pop("kind"), args.pop("ref"), **args)
    assert CentreMessage.select().count() == 0 and OutboxMessage.select().count() == 0


def test_throttled_delivery_sends_each_mail_once_across_an_outage(app, world, smtp_sink):
    w = world
    people = [make_user(name=f"Helfer {n}") for n in range(12)]
    for person in people:
        ReachableCentre.create(user=person, centre=w.centre)
    services.send_message(
        w.centre, "centre", None, subject="Fest", body="Am Samstag!", actor=w.coordinator
    )
    total = OutboxMessage.select().count()
    assert total == 15  # the twelve, Bob, Cid and Eve
    smtp_sink.configure(app, MAIL_RATE_PER_MINUTE=5)

    def a_minute_later():
        earlier = utcnow() - dt.timedelta(minutes=1)
        OutboxMessage.update(sent_at=earlier).where(OutboxMessage.status == "sent").execute()
        OutboxMessage.update(next_attempt_at=earlier).execute()

    # The host closes the session after 3 mails: the run stops, the rest waits.
    smtp_sink.fail_after = 3
    assert send_pending() == Result(sent=3, failed=0, retrying=2)
    smtp_sink.fail_after = None
    assert send_pending() == Result(sent=2)  # what is left of this minute's 5
    assert send_pending() == Result()  # this minute's budget is spent
    assert OutboxMessage.select().where(OutboxMessage.status == "pending").count() == 10
    runs = 0
    while OutboxMessage.select().where(OutboxMessage.status != "sent").exists():
        a_minute_later()
        result = send_pending()
        assert 0 < result.sent <= 5 and result.failed == 0
        runs += 1
    assert runs == 2  # 10 left at 5 a minute
    received = [rcpt for env in smtp_sink.envelopes for rcpt in env.rcpt_tos]
    assert sorted(received) == sorted(m.recipient for m in OutboxMessage.select())
    assert len(set(m["Message-ID"] for m in smtp_sink.messages)) == total


def test_turning_news_off_and_on_again(client, login_as, world):
    w = world
    token = services.opt_out_token(w.cid.id)
    page = client.get(f"/nachrichten/abbestellen/{token}?lang=uk")
    assert page.status_code == 200 and 'lang="uk"' in page.get_data(as_text=True)
    assert client.get("/nachrichten/abbestellen/forged").status_code == 404

    assert services.opt_out(w.cid, token=token) is True
    assert services.opt_out(w.cid, token=token) is False  # once is enough
    with pytest.raises(NotFound):
        services.opt_out(w.eve, token=token)  # Cid's link cannot turn Eve's news off
    assert names(queries.audience(w.centre, "centre", None, utcnow())) == {"Bob", "Eve"}

    login_as(w.cid)
    assert "Turned off" in client.get("/konto/nachrichten?lang=en").get_data(as_text=True)
    assert services.opt_in(w.cid, actor=w.cid) is True
    with pytest.raises(NotAllowed):
        services.opt_in(w.eve, actor=w.cid)
    assert not queries.is_opted_out(w.cid.id)


def test_compose_check_send_and_the_log(client, login_as, world):
    w = world
    login_as(w.coordinator)
    url = f"/zentren/{w.centre.slug}/nachrichten"
    form = {
        "audience": "category",
        "slot": "0",
        "activity": "0",
        "subject": "Lesen",
        "body": "Neue Bücher!",
        "category": str(builtin("reading").id),
    }
    checked = client.post(url, data=form).get_data(as_text=True)
    assert "2 people get this message." in checked or "2 Personen" in checked
    assert CentreMessage.select().count() == 0  # checking sends nothing
    missing = client.post(url, data={**form, "category": "0"}).get_data(as_text=True)
    assert CentreMessage.select().count() == 0 and 'id="category-error"' in missing

    sent = client.post(f"{url}/senden", data=form)
    assert sent.status_code == 302
    message = CentreMessage.get()
    assert sent.headers["Location"].endswith(f"{url}/{message.id}")
    page = client.get(f"{url}/{message.id}").get_data(as_text=True)
    assert "Bob Warteliste" in page and "Cid Interessiert" in page and "Ann" not in page

    # The log's queries do not grow with its rows.
    counts = []
    for _ in range(2):
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        counts.append(counter.count)
        for _ in range(5):
            services.send_message(
                w.centre, "centre", None, subject="x", body="y", actor=w.coordinator
            )
    assert counts[0] == counts[1], counts

    login_as(w.stranger)
    assert client.get(f"{url}/{message.id}").status_code == 403
    login_as(w.bob)
    assert client.get(url).status_code == 403


def test_retention_erasure_and_the_data_download(world):
    w = world
    old = services.send_message(
        w.centre,
        "slot",
        w.slot.id,
        subject="Alt",
        body="a",
        actor=w.coordinator,
        now=utcnow() - dt.timedelta(days=400),
    )
    new = services.send_message(
        w.centre, "slot", w.slot.id, subject="Neu", body="b", actor=w.coordinator
    )
    data = personal_data(w.bob, now=utcnow())["centre_messages"]
    assert [m["subject"] for m in data["received"]] == ["Alt", "Neu"]
    assert data["news_turned_off_at"] is None
    assert personal_data(w.ann, now=utcnow())["centre_messages"]["news_turned_off_at"]
    assert len(personal_data(w.coordinator, now=utcnow())["centre_messages"]["written"]) == 2

    assert services.delete_old_messages(utcnow()) == 1
    assert services.delete_old_messages(utcnow()) == 0
    assert CentreMessage.get_or_none(CentreMessage.id == old.id) is None

    erase_account(w.bob)
    assert [r.user_id for r in MessageRecipient.select()] == [w.ann.id]
    make_coordinator(w.centre)  # not the last coordinator any more
    erase_account(w.coordinator)
    assert reload(new).author_id is None
    assert queries.message_of(w.centre.id, new.id).author_name is None
