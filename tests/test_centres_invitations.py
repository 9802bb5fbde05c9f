"""Accepting an invitation: new coordinator accounts, existing accounts, and every bad link."""

import datetime as dt
import threading

import pytest

from tests.factories import PASSWORD, make_centre, make_coordinator, make_user
from tests.factories_centres import english, make_invitation, switch_user
from volunteer_app.accounts.models import Consent, User
from volunteer_app.accounts.passwords import verify_password
from volunteer_app.centres import services
from volunteer_app.centres.models import CentreMembership, Invitation
from volunteer_app.common.errors import DomainError
from volunteer_app.db import db, utcnow

NEW = {"name": "Nora Neu", "password": "lange sichere Passphrase 42", "privacy": "y"}


@pytest.fixture
def centre(conn):
    return make_centre(name="ThEKiZ Löwenzahn", slug="loewenzahn", town="Suhl")


@pytest.fixture
def invited(centre):
    return make_invitation(centre, "nora@example.org", name="Nora")


def _nothing_written(invitation):
    assert Invitation.get_by_id(invitation.id).accepted_at is None
    assert User.select().where(User.email == invitation.email).count() <= 1
    assert CentreMembership.select().count() == 0


# --- A new coordinator ------------------------------------------------------------------------


def test_form_for_a_new_account(client, invited):
    _invitation, token = invited
    response = english(client).get(f"/einladung/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ThEKiZ Löwenzahn" in page and "nora@example.org" in page
    assert 'value="Nora"' in page and 'name="password"' in page and 'name="privacy"' in page
    assert Invitation.get().accepted_at is None  # looking changes nothing


def test_accepting_creates_the_coordinator_and_asks_for_totp(app, client, invited, centre):
    invitation, token = invited
    response = client.post(f"/einladung/{token}", data=NEW)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/konto/zwei-faktor/einrichten")

    user = User.get(User.email == "nora@example.org")
    assert (user.name, user.role) == ("Nora Neu", "coordinator")
    assert user.email_confirmed_at is not None
    assert len(user.session_token) == 32
    assert verify_password(user.password_hash, NEW["password"])
    consent = Consent.get(Consent.user == user.id)
    assert (consent.kind, consent.version) == ("privacy", app.config["PRIVACY_NOTICE_VERSION"])
    assert [m.centre_id for m in user.memberships] == [centre.id]
    assert Invitation.get_by_id(invitation.id).accepted_at is not None

    with client.session_transaction() as sess:
        assert sess["_user_id"] == user.get_id()
        assert sess["mfa_ok"] is False
    # The second-factor gate keeps the new coordinator away from everything else.
    response = client.get("/meine-zentren")
    assert "/konto/zwei-faktor/einrichten" in response.headers["Location"]


def test_link_works_only_once(client, invited):
    _invitation, token = invited
    assert client.post(f"/einladung/{token}", data=NEW).status_code == 302
    other = client.application.test_client()
    response = english(other).post(f"/einladung/{token}", data={**NEW, "name": "Zweite"})
    assert response.status_code == 410
    assert "already been accepted" in response.get_data(as_text=True)
    assert User.select().count() == 1
    assert CentreMembership.select().count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**NEW, "name": ""}, "Please fill in this field."),
        ({**NEW, "name": "n" * 101}, "100"),
        ({**NEW, "name": "Nora\x1b"}, "invisible control characters"),
        ({**NEW, "password": ""}, "Please choose a password."),
        ({**NEW, "password": "kurz"}, "between 8 and 128"),
        ({**NEW, "password": "p" * 129}, "between 8 and 128"),
        ({**NEW, "password": "password1"}, "too common"),
        ({**NEW, "password": "nora@example.org"}, "e-mail address"),
        ({**NEW, "privacy": ""}, "Please agree to the privacy notice."),
        ({"name": "Nora Neu", "password": NEW["password"]}, "Please agree to the privacy notice."),
    ],
)
def test_bad_input_creates_nothing(client, invited, data, message):
    invitation, token = invited
    response = english(client).post(f"/einladung/{token}", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    _nothing_written(invitation)
    assert User.select().count() == 0
    assert Consent.select().count() == 0


# --- Bad links ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_link_is_refused(client, invited, method):
    invitation, token = invited
    for bad in ("nichtda", token[:-1], token + "x", "%00", "a" * 500):
        response = getattr(english(client), method)(f"/einladung/{bad}", data=NEW)
        assert response.status_code == 404
        assert "not valid" in response.get_data(as_text=True)
    _nothing_written(invitation)


@pytest.mark.parametrize("method", ["get", "post"])
def test_expired_link_is_refused(client, centre, method):
    invitation, token = make_invitation(
        centre, "spaet@example.org", expires_at=utcnow() - dt.timedelta(seconds=1)
    )
    response = getattr(english(client), method)(f"/einladung/{token}", data=NEW)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    _nothing_written(invitation)


@pytest.mark.parametrize("method", ["get", "post"])
def test_withdrawn_link_is_refused(client, centre, method):
    invitation, token = make_invitation(centre, "weg@example.org", withdrawn_at=utcnow())
    response = getattr(english(client), method)(f"/einladung/{token}", data=NEW)
    assert response.status_code == 410
    assert "withdrawn" in response.get_data(as_text=True)
    _nothing_written(invitation)


def test_used_link_is_refused_on_get(client, centre):
    _invitation, token = make_invitation(centre, "alt@example.org", accepted_at=utcnow())
    response = english(client).get(f"/einladung/{token}")
    assert response.status_code == 410
    assert "already been accepted" in response.get_data(as_text=True)


def test_expiry_between_showing_and_sending_is_caught(client, invited):
    invitation, token = invited
    assert client.get(f"/einladung/{token}").status_code == 200
    Invitation.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    assert client.post(f"/einladung/{token}", data=NEW).status_code == 410
    _nothing_written(invitation)
    assert User.select().count() == 0


# --- An existing account -------------------------------------------------------------------


@pytest.fixture
def volunteer(centre):
    user = make_user(email="vera@example.org", name="Vera Volunteer")
    _invitation, token = make_invitation(centre, "vera@example.org")
    return user, token


def test_existing_account_must_log_in_first(client, volunteer):
    _user, token = volunteer
    for method in ("get", "post"):
        response = getattr(client, method)(f"/einladung/{token}")
        assert response.status_code == 302
        location = response.headers["Location"]
        assert "/konto/anmelden" in location
        assert f"next=/einladung/{token}" in location.replace("%2F", "/")
    assert Invitation.get().accepted_at is None


def test_volunteer_accepts_and_becomes_coordinator(client, login_as, volunteer, centre):
    user, token = volunteer
    english(login_as(user))
    page = client.get(f"/einladung/{token}").get_data(as_text=True)
    assert "Accept invitation" in page and 'name="password"' not in page
    response = client.post(f"/einladung/{token}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/meine-zentren")
    user = User.get_by_id(user.id)
    assert user.role == "coordinator"
    assert verify_password(user.password_hash, PASSWORD)  # the account itself is untouched
    assert [m.centre_id for m in user.memberships] == [centre.id]
    assert Invitation.get().accepted_at is not None
    # New rights, new session: the second factor is required before anything else.
    with client.session_transaction() as sess:
        assert sess["mfa_ok"] is False
    assert "/konto/zwei-faktor" in client.get("/meine-zentren").headers["Location"]


def test_someone_else_logged_in_is_refused(client, login_as, volunteer):
    _user, token = volunteer
    english(login_as(make_user(email="mallory@example.org")))
    for method in ("get", "post"):
        response = getattr(client, method)(f"/einladung/{token}")
        assert response.status_code == 403
        assert "different e-mail address" in response.get_data(as_text=True)
    assert Invitation.get().accepted_at is None
    assert CentreMembership.select().count() == 0
    assert User.get(User.email == "vera@example.org").role == "volunteer"


def test_service_refuses_the_wrong_account_and_rolls_back(app, volunteer):
    _user, token = volunteer
    with app.test_request_context(), pytest.raises(DomainError):
        services.accept_invitation(token, actor=make_user(email="m@example.org"))
    assert Invitation.get().accepted_at is None


def test_existing_member_gets_no_second_membership(client, login_as, centre):
    person = make_coordinator(centre, email="doppelt@example.org")
    _invitation, token = make_invitation(centre, "doppelt@example.org")
    login_as(person)
    assert client.post(f"/einladung/{token}").status_code == 302
    assert CentreMembership.select().where(CentreMembership.user == person.id).count() == 1
    assert Invitation.get().accepted_at is not None
    assert client.post(f"/einladung/{token}").status_code == 410


def test_coordinator_of_another_centre_joins_this_one(client, login_as, centre):
    other = make_centre(slug="anderes")
    person = make_coordinator(other, email="koord@example.org")
    _invitation, token = make_invitation(centre, "koord@example.org")
    login_as(person)
    response = client.post(f"/einladung/{token}")
    assert response.headers["Location"].endswith("/meine-zentren")
    assert {m.centre_id for m in User.get_by_id(person.id).memberships} == {centre.id, other.id}
    # Already staff with the second factor done: the session stays as it is.
    assert client.get("/meine-zentren").status_code == 200


def test_admin_keeps_the_admin_role(client, login_as, centre):
    admin = make_user(role="admin", email="chefin@example.org")
    _invitation, token = make_invitation(centre, "chefin@example.org")
    login_as(admin)
    client.post(f"/einladung/{token}")
    assert User.get_by_id(admin.id).role == "admin"
    assert CentreMembership.select().count() == 1


def test_logging_in_as_the_right_account_after_a_refusal(client, login_as, volunteer):
    user, token = volunteer
    login_as(make_user())
    assert client.post(f"/einladung/{token}").status_code == 403
    switch_user(login_as, user)
    assert client.post(f"/einladung/{token}").status_code == 302
    assert CentreMembership.select().count() == 1


# --- Two requests with the same link at the same moment ---------------------------------------


def _race(app, work, n=4):
    barrier = threading.Barrier(n)
    results = []

    def run(i):
        with app.test_request_context(), db.connection_context():
            barrier.wait()
            try:
                work(i)
                results.append("ok")
            except DomainError as exc:
                results.append(type(exc).__name__)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_same_link_at_the_same_time_makes_one_account(app, invited):
    _invitation, token = invited
    results = _race(
        app,
        lambda i: services.accept_invitation_new_account(
            token, name=f"Nora {i}", password=NEW["password"], locale="de"
        ),
    )
    assert results.count("ok") == 1, results
    assert len(results) == 4
    assert User.select().count() == 1
    assert CentreMembership.select().count() == 1
    assert Consent.select().count() == 1


def test_same_link_at_the_same_time_for_an_existing_account(app, volunteer):
    user, token = volunteer
    results = _race(app, lambda i: services.accept_invitation(token, actor=user))
    assert results.count("ok") == 1, results
    assert CentreMembership.select().count() == 1
