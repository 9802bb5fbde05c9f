"""“Delete my account”: the page, the confirmation, the grace period and both ways back."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest

from tests.factories import PASSWORD, make_activity, make_centre, make_coordinator, make_user
from tests.factories_accounts import TOTP_SECRET, login, mails_to, make_totp_user
from tests.factories_authz import changed_tables, snapshot
from tests.factories_centres import english
from tests.factories_erasure import future_slot
from volunteer_app.accounts.models import User
from volunteer_app.centres.models import CentreMembership
from volunteer_app.db import utcnow
from volunteer_app.erasure import services
from volunteer_app.erasure.models import DeletionRequest
from volunteer_app.signups import services as signups
from volunteer_app.signups.models import Signup

pytestmark = pytest.mark.dates  # depends on today: CI reruns it at fixed days

PAGE = "/konto/loeschen"


def keep_link(user) -> str:
    [mail] = [m for m in mails_to(user.email) if "gelöscht" in m.subject]
    [path] = re.findall(r"http://localhost(/konto/behalten/[A-Za-z0-9_\-]+)", mail.body_text)
    assert path in mail.body_html
    return path


def logged_out(client) -> bool:
    response = client.get("/konto/")
    return response.status_code == 302 and "/konto/anmelden" in response.headers["Location"]


def test_the_account_page_leads_to_the_delete_page_which_explains_first(client, login_as, conn):
    user = make_user(name="Wanda Weg")
    signups.sign_up(future_slot(make_activity(title="Lesecafé"), 4).id, actor=user)
    login_as(user)
    account = client.get("/konto/").get_data(as_text=True)
    assert f'href="{PAGE}"' in account and "Konto löschen" in account

    page = client.get(PAGE).get_data(as_text=True)
    assert "in 14 Tagen" in page
    assert "Lesecafé" in page  # the upcoming date that will be cancelled
    assert "gelöschte Person" in page
    assert 'name="password"' in page and 'name="code"' not in page
    assert "Mein Konto löschen" in page
    english(client)
    page = client.get(PAGE).get_data(as_text=True)
    assert "What is deleted" in page and "deleted in 14 days" in page
    assert "“deleted person”" in page
    assert DeletionRequest.select().count() == 0  # reading the page changes nothing


def test_request_logs_out_mails_a_link_and_erases_after_the_grace_period(client, login_as, conn):
    user = make_user()
    login_as(user)
    response = client.post(PAGE, data={"password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    request = DeletionRequest.get(DeletionRequest.user == user.id)
    assert abs(request.due_at - (utcnow() + dt.timedelta(days=14))) < dt.timedelta(minutes=1)
    assert logged_out(client)
    assert keep_link(user)
    home = client.get("/").get_data(as_text=True)
    assert "Ihr Konto wird am" in home and "gelöscht" in home

    assert services.erase_due() == 0  # not yet
    assert services.erase_due(request.due_at - dt.timedelta(seconds=1)) == 0
    assert services.erase_due(request.due_at) == 1
    assert User.get_or_none(User.id == user.id) is None
    assert services.erase_due(request.due_at + dt.timedelta(days=1)) == 0  # idempotent
    assert mails_to(user.email) == []  # even the mail to her is gone


def test_signing_in_cancels_the_deletion(client, login_as, conn):
    user = make_user(name="Rita Rückkehr")
    services.request_deletion(user, actor=user)
    response = login(client, user.email)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Ihr Konto wird nicht gelöscht" in page
    assert DeletionRequest.select().count() == 0
    assert services.erase_due(utcnow() + dt.timedelta(days=30)) == 0
    assert User.get_by_id(user.id).name == "Rita Rückkehr"


def test_the_link_in_the_mail_cancels_the_deletion_once(client, conn):
    user = make_user()
    services.request_deletion(user, actor=user)
    link = keep_link(user)

    page = client.get(link)
    assert page.status_code == 200 and "Konto behalten" in page.get_data(as_text=True)
    assert DeletionRequest.select().count() == 1  # opening the link changes nothing
    response = client.post(link)
    assert response.status_code == 302 and response.headers["Location"] == "/konto/anmelden"
    assert DeletionRequest.select().count() == 0
    assert client.post(link).status_code == 400
    assert client.get(link).status_code == 400
    assert services.erase_due(utcnow() + dt.timedelta(days=30)) == 0


def test_grace_zero_erases_at_once(app, client, login_as, conn):
    app.config["DELETION_GRACE_DAYS"] = 0
    user = make_user(email="sofort@example.org")
    login_as(user)
    assert "sofort gelöscht" in client.get(PAGE).get_data(as_text=True)
    response = client.post(PAGE, data={"password": PASSWORD})
    assert response.status_code == 302
    assert User.get_or_none(User.id == user.id) is None
    assert DeletionRequest.select().count() == 0
    assert mails_to("sofort@example.org") == []
    assert "gelöscht" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["volunteer", "coordinator"])
def test_wrong_password_or_code_changes_nothing(client, login_as, conn, role):
    centre = make_centre()
    make_coordinator(centre)  # a colleague, so that a coordinator may leave
    user = make_totp_user(role=role)
    if role == "coordinator":
        CentreMembership.create(user=user, centre=centre)
    login_as(user)
    english(client)
    good_code = pyotp.TOTP(TOTP_SECRET).now()
    before = snapshot()
    cases = [
        ({"password": "wrong password", "code": good_code}, "password"),
        ({"password": PASSWORD, "code": "000000"}, "code"),
        ({"password": PASSWORD}, "code"),
        ({"password": PASSWORD, "code": "12ab"}, "code"),
    ]
    for data, field in cases:
        response = client.post(PAGE, data=data)
        assert response.status_code == 200
        assert f'id="{field}-error"' in response.get_data(as_text=True), data
    # Only the failure counter of the login lock moved; nothing was scheduled or mailed.
    assert changed_tables(before, snapshot()) <= {"User"}
    assert User.get_by_id(user.id).session_token == user.session_token
    assert DeletionRequest.select().count() == 0 and mails_to(user.email) == []

    response = client.post(PAGE, data={"password": PASSWORD, "code": good_code})
    assert response.status_code == 302
    assert DeletionRequest.select().count() == 1


def test_the_last_coordinator_is_told_how_and_nothing_changes(client, login_as, conn):
    centre = make_centre(name="Zentrum Sonnenblume")
    other = make_centre(name="Zentrum Kornblume")
    coordinator = make_totp_user(role="coordinator")
    CentreMembership.create(user=coordinator, centre=centre)
    CentreMembership.create(user=coordinator, centre=other)
    make_coordinator(other)  # Kornblume has a successor
    login_as(coordinator)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Zentrum Sonnenblume" in page and "Zentrum Kornblume" not in page
    assert "Koordinator:in einladen" in page
    assert 'name="password"' not in page
    before = snapshot()
    code = pyotp.TOTP(TOTP_SECRET).now()
    response = client.post(PAGE, data={"password": PASSWORD, "code": code})
    assert response.status_code == 200
    assert changed_tables(before, snapshot()) == set()
    with pytest.raises(services.DeletionBlocked, match="Sonnenblume"):
        services.request_deletion(coordinator, actor=coordinator)

    make_coordinator(centre)
    assert 'name="password"' in client.get(PAGE).get_data(as_text=True)


def test_the_last_admin_is_told_how(client, login_as, conn):
    admin = make_totp_user(role="admin")
    login_as(admin)
    english(client)
    page = client.get(PAGE).get_data(as_text=True)
    assert "You are the only administrator" in page
    assert "administrator role" in page
    make_user(role="admin")
    assert "You are the only administrator" not in client.get(PAGE).get_data(as_text=True)


def test_a_coordinator_who_became_the_last_one_stays_scheduled(conn):
    centre = make_centre()
    first = make_coordinator(centre)
    second = make_coordinator(centre)
    due = services.request_deletion(first, actor=first)
    services.erase_account(second)
    assert services.erase_due(due) == 0
    assert User.get_by_id(first.id) and DeletionRequest.select().count() == 1


def test_only_the_person_or_an_admin_may_ask(conn):
    user, stranger = make_user(), make_user()
    with pytest.raises(services.NotAllowed):
        services.request_deletion(user, actor=stranger)
    admin = make_user(role="admin")
    make_user(role="admin")
    services.request_deletion(user, actor=admin)
    assert DeletionRequest.get().user_id == user.id


def test_future_sign_ups_stay_until_the_erasure(client, login_as, conn):
    user = make_user()
    slot = future_slot(make_activity(), 30)
    signups.sign_up(slot.id, actor=user)
    due = services.request_deletion(user, actor=user)
    assert Signup.get(Signup.volunteer == user.id).status == "confirmed"
    services.erase_due(due)
    assert Signup.select().where(Signup.slot == slot.id, Signup.status == "confirmed").count() == 0
