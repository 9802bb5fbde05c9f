"""Inactive accounts (a mail one month before, then erasure) and registrations never
confirmed; every job runs twice and the second run does nothing more."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories import make_activity, make_centre, make_coordinator, make_signup, make_user
from tests.factories_accounts import login, mails_to
from tests.factories_erasure import days_ago, future_slot, past_slot
from volunteer_app.accounts.models import User
from volunteer_app.db import utcnow
from volunteer_app.erasure import services
from volunteer_app.erasure.models import DeletionRequest, InactivityNotice
from volunteer_app.notifications.models import OutboxMessage
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

MONTH = dt.timedelta(days=31)


def idle(days: float, **fields) -> User:
    """A confirmed account made ``days`` ago and last signed in then."""
    return make_user(created_at=days_ago(days), last_login_at=days_ago(days), **fields)


def notice_mails(user) -> list[OutboxMessage]:
    return [m for m in mails_to(user.email) if "löschen" in m.subject]


def keep_path(message: OutboxMessage) -> str:
    [path] = re.findall(r"http://localhost(/konto/behalten/[A-Za-z0-9_\-]+)", message.body_text)
    return path


def test_a_mail_at_eleven_months_then_erasure_at_twelve(conn):
    quiet = idle(340)  # eleven months and a bit
    recent = idle(300)
    fresh = make_user()

    first = services.run_inactive_accounts()
    assert (first.warned, first.erased) == (1, 0)
    [mail] = notice_mails(quiet)
    assert keep_path(mail) and "12 Monaten" in mail.body_text
    assert notice_mails(recent) == [] and notice_mails(fresh) == []
    assert services.run_inactive_accounts() == services.InactiveResult()  # told once

    # Twelve months without use, and the mail a month old: erased, once.
    later = utcnow() + MONTH
    assert services.run_inactive_accounts(now=later).erased == 1
    assert User.get_or_none(User.id == quiet.id) is None
    assert services.run_inactive_accounts(now=later).erased == 0
    # The others are told when their turn comes, not before.
    assert User.get_by_id(recent.id) and User.get_by_id(fresh.id)


def test_no_erasure_without_a_month_of_notice(conn):
    """An account idle for two years when the rule starts is told first, not erased."""
    old = idle(800)
    assert services.run_inactive_accounts() == services.InactiveResult(warned=1)
    assert services.run_inactive_accounts(now=utcnow() + dt.timedelta(days=20)).erased == 0
    assert services.run_inactive_accounts(now=utcnow() + MONTH).erased == 1
    assert User.get_or_none(User.id == old.id) is None


def test_the_keep_link_and_signing_in_count_as_use(client, conn):
    kept, returned = idle(340), idle(340)
    services.run_inactive_accounts()
    path = keep_path(notice_mails(kept)[0])
    assert "lange nicht" in client.get(path).get_data(as_text=True)
    assert client.post(path).status_code == 302
    assert client.post(path).status_code == 400  # once
    assert InactivityNotice.get(InactivityNotice.user == kept.id).kept_at is not None
    assert login(client, returned.email).status_code == 302

    later = utcnow() + MONTH
    assert services.run_inactive_accounts(now=later) == services.InactiveResult()
    assert User.get_by_id(kept.id) and User.get_by_id(returned.id)
    # Eleven months after the "keep", the person is told again.
    assert services.run_inactive_accounts(now=utcnow() + 11 * MONTH).warned == 2


def test_a_booking_counts_as_use(conn):
    booked = idle(700)
    # Signed up long ago for a date that is still to come.
    signup = make_signup(future_slot(make_activity(), 10), booked)
    Signup.update(created_at=days_ago(700), queued_at=days_ago(700)).where(
        Signup.id == signup.id
    ).execute()
    attended = idle(700)
    make_signup(past_slot(make_activity(), 100), attended, attendance="attended")
    Signup.update(created_at=days_ago(700), queued_at=days_ago(700)).where(
        Signup.volunteer == attended.id
    ).execute()
    assert services.run_inactive_accounts() == services.InactiveResult()


def test_an_inactive_last_coordinator_is_kept_until_there_is_a_successor(conn):
    centre = make_centre()
    alone = make_coordinator(centre, created_at=days_ago(340), last_login_at=days_ago(340))
    # Not told "we will delete your account": it would not happen.
    assert services.run_inactive_accounts() == services.InactiveResult(no_successor=1)
    assert notice_mails(alone) == []
    assert services.run_inactive_accounts(now=utcnow() + MONTH).erased == 0
    # A successor: now the mail, and a month later the erasure.
    make_coordinator(centre)
    assert services.run_inactive_accounts().warned == 1
    assert services.run_inactive_accounts(now=utcnow() + MONTH).erased == 1
    assert User.get_or_none(User.id == alone.id) is None


def test_a_coordinator_who_became_the_last_one_after_the_mail_is_kept(conn):
    centre = make_centre()
    first = make_coordinator(centre, created_at=days_ago(340), last_login_at=days_ago(340))
    second = make_coordinator(centre)
    assert services.run_inactive_accounts().warned == 1
    services.erase_account(second)
    result = services.run_inactive_accounts(now=utcnow() + MONTH)
    assert (result.erased, result.no_successor) == (0, 1)
    assert User.get_by_id(first.id)


def test_the_rule_can_be_switched_off(app, conn):
    app.config["RETENTION_INACTIVE_MONTHS"] = 0
    idle(800)
    assert services.run_inactive_accounts(now=utcnow() + 3 * MONTH) == services.InactiveResult()


def test_unconfirmed_registrations_go_after_seven_days(conn):
    from volunteer_app.accounts import services as accounts

    old = accounts.register_volunteer(
        name="Nie Bestätigt", email="nie@example.org", password="a long new passphrase", locale="de"
    )
    User.update(created_at=days_ago(8)).where(User.id == old.id).execute()
    young = make_user(email_confirmed_at=None, created_at=days_ago(6))
    confirmed = make_user(created_at=days_ago(30))
    assert mails_to("nie@example.org")  # the confirmation link

    assert services.delete_unconfirmed() == 1
    assert services.delete_unconfirmed() == 0
    assert User.get_or_none(User.id == old.id) is None
    assert mails_to("nie@example.org") == []  # the link in the outbox went with it
    assert User.get_by_id(young.id) and User.get_by_id(confirmed.id)
    assert services.delete_unconfirmed(now=utcnow() + dt.timedelta(days=2)) == 1


def test_the_command_erases_and_a_second_run_does_nothing(runner, conn):
    person = make_user()
    services.request_deletion(person, actor=person)
    DeletionRequest.update(due_at=days_ago(1)).execute()
    idle(800)
    make_user(email_confirmed_at=None, created_at=days_ago(8))

    first = runner.invoke(args=["jobs", "erase-accounts"])
    assert first.exit_code == 0, first.output
    assert "Deletions due: 1 account(s) erased." in first.output
    assert "Inactive accounts: 1 told, 0 erased" in first.output
    assert "Registrations never confirmed: 1 erased." in first.output
    second = runner.invoke(args=["jobs", "erase-accounts"])
    assert second.exit_code == 0
    assert "Deletions due: 0" in second.output and "0 told, 0 erased" in second.output
    assert "never confirmed: 0 erased" in second.output
