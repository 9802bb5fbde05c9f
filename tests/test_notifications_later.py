"""Mail written when it is sent (``queue_later``): a sign-up's own mail is queued as its
template and the sign-up's id, and the job that sends it writes it. The mail is the one the
request wrote before, byte for byte, in every language; it is stored written before it goes
out (a retry sends the same text); it fails without being sent when what it reports is gone;
in development without BASE_URL it is written at once (its links follow the request)."""

from __future__ import annotations

import json

import pytest

from tests import mailserver
from tests.factories_signups import make_slot, make_user, world
from volunteer_app.activities.models import Slot
from volunteer_app.db import utcnow
from volunteer_app.notifications import delivery
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.notifications.services import written
from volunteer_app.privacy.queries import _mails
from volunteer_app.signups import services
from volunteer_app.signups.models import Signup

smtp_sink = mailserver.smtp_sink

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days


def _later(volunteer) -> OutboxMessage:
    [row] = OutboxMessage.select().where(OutboxMessage.recipient == volunteer.email)
    return row


def _slot_for(outcome: str):
    _centre, _coordinator, activity, _volunteer = world(
        signup_mode="approval" if outcome == "pending" else "open"
    )
    slot = make_slot(activity, capacity=1, hours_ahead=100)
    if outcome == "waitlisted":
        services.sign_up(slot.id, actor=make_user(locale="de"))
        services.sign_up(slot.id, actor=make_user(locale="de"))
    return slot


@pytest.mark.parametrize("outcome", ["confirmed", "waitlisted", "pending"])
def test_the_mail_is_the_one_the_request_wrote_in_every_language(app, conn, outcome):
    for language in app.config["LANGUAGES"]:
        slot = _slot_for(outcome)
        volunteer = make_user(locale=language, name="Jana Beispiel")
        with app.test_request_context(f"/termine/{slot.id}/anmelden", method="POST"):
            result = services.sign_up(slot.id, actor=volunteer)
            assert result.outcome == outcome
            row = _later(volunteer)
            assert (row.template, row.subject, row.body_text) == (f"signup_{outcome}", "", "")
            assert json.loads(row.params) == {"signup": result.signup.id} | (
                {"position": 2} if outcome == "waitlisted" else {}
            )
            # What the request wrote before: the three parts, from the locked slot.
            before = services._notify(
                volunteer,
                services._locked_slot(slot.id),
                f"signup_{outcome}",
                signup=result.signup,
                position=result.position,
            )
        subject, text, html = written(row)  # as the job does: no request
        assert row.locale == before.locale
        assert (subject, text, html) == (before.subject, before.body_text, before.body_html)
        assert "Jana" in text and slot.activity.title in subject


def test_the_job_writes_stores_and_sends_it(app, conn, smtp_sink):
    smtp_sink.configure(app)
    slot = _slot_for("confirmed")
    volunteer = make_user(locale="en", name="Jana Beispiel")
    services.sign_up(slot.id, actor=volunteer)
    assert delivery.send_pending() == delivery.Result(sent=1)
    [message] = smtp_sink.messages
    assert message["Subject"].startswith(f"Confirmed: {slot.activity.title}")
    assert "Hello Jana," in message.get_body(("plain",)).get_content()
    row = _later(volunteer)
    assert row.status == "sent" and row.subject == message["Subject"]
    assert (row.template, row.params, row.body_text, row.body_html) == ("", "", "", "")


def test_a_retry_sends_the_text_as_first_written(app, conn, smtp_sink):
    smtp_sink.configure(app)
    slot = _slot_for("confirmed")
    volunteer = make_user(locale="en")
    services.sign_up(slot.id, actor=volunteer)
    row = _later(volunteer)
    claimed = delivery._claim(row.id)
    assert delivery._write(claimed)
    stored = _later(volunteer)
    assert stored.template == "" and stored.subject.startswith("Confirmed:")
    # Written once: the activity renamed afterwards does not change what goes out.
    slot.activity.title = "Umbenannt"
    slot.activity.save()
    OutboxMessage.update(status="pending", claimed_at=None).where(
        OutboxMessage.id == row.id
    ).execute()
    assert delivery.send_pending() == delivery.Result(sent=1)
    assert "Umbenannt" not in smtp_sink.messages[0]["Subject"]


def test_a_mail_whose_sign_up_is_gone_fails_without_being_sent(app, conn, smtp_sink):
    smtp_sink.configure(app)
    slot = _slot_for("confirmed")
    volunteer = make_user(locale="en")
    services.sign_up(slot.id, actor=volunteer)
    Slot.delete().where(Slot.id == slot.id).execute()  # its sign-ups go with it
    assert Signup.select().where(Signup.volunteer == volunteer.id).count() == 0
    assert delivery.send_pending() == delivery.Result(failed=1)
    assert smtp_sink.messages == []
    row = _later(volunteer)
    assert row.status == "failed" and row.last_error.startswith("Not written")
    assert row.params == ""  # cleared like a body


def test_in_development_without_base_url_it_is_written_at_once(app, conn):
    app.config["BASE_URL_FROM_REQUEST"] = True
    slot = _slot_for("confirmed")
    volunteer = make_user(locale="en")
    with app.test_request_context("/", base_url="http://127.0.0.1:5301"):
        services.sign_up(slot.id, actor=volunteer)
    row = _later(volunteer)
    assert row.template == "" and row.subject.startswith("Confirmed:")
    assert f"http://127.0.0.1:5301/termine/{slot.id}" in row.body_text


def test_the_data_download_shows_a_mail_not_yet_written(app, conn):
    slot = _slot_for("confirmed")
    volunteer = make_user(locale="en")
    services.sign_up(slot.id, actor=volunteer)
    [mail] = _mails(volunteer, utcnow())
    assert mail["status"] == "pending"
    assert mail["subject"].startswith(f"Confirmed: {slot.activity.title}")
    assert slot.activity.title in mail["body"]


def test_the_erasure_deletes_a_mail_not_yet_written(app, conn):
    from volunteer_app.erasure import services as erasure

    slot = _slot_for("confirmed")
    volunteer = make_user(locale="en")
    services.sign_up(slot.id, actor=volunteer)
    erasure.erase_account(volunteer)
    assert OutboxMessage.select().where(OutboxMessage.recipient == volunteer.email).count() == 0
