"""Admins invite coordinators: the mail, its single-use link, resending and withdrawing."""

import datetime as dt

import pytest

from tests.factories import make_centre, make_coordinator, make_user
from tests.factories_centres import english, invitation_links, make_invitation
from volunteer_app.accounts.models import User
from volunteer_app.admin import services
from volunteer_app.centres.models import CentreMembership, Invitation
from volunteer_app.common.security import hash_token
from volunteer_app.db import utcnow
from volunteer_app.notifications.models import OutboxMessage


@pytest.fixture
def centre(conn):
    return make_centre(name="ThEKiZ Pusteblume", slug="pusteblume", town="Gera")


@pytest.fixture
def admin(client, login_as, conn):
    user = make_user(role="admin", name="Ada Admin")
    english(login_as(user))
    return user


def _invite(client, email="Neu.Person@Example.org ", name="Nina Neu"):
    return client.post(
        "/verwaltung/zentren/pusteblume/einladen", data={"email": email, "name": name}
    )


def test_invitation_stores_only_the_hash_and_queues_a_mail(app, client, admin, centre):
    response = _invite(client)
    assert response.status_code == 302
    invitation = Invitation.get()
    assert invitation.email == "neu.person@example.org"
    assert invitation.name == "Nina Neu"
    assert invitation.invited_by_id == admin.id
    assert invitation.accepted_at is None and invitation.withdrawn_at is None
    ttl = app.config["INVITATION_TTL_MINUTES"]
    assert abs((invitation.expires_at - utcnow()) - dt.timedelta(minutes=ttl)).total_seconds() < 60

    [token] = invitation_links("neu.person@example.org")
    assert invitation.token_hash == hash_token(token) != token
    assert token not in str(list(Invitation.select().dicts()))
    mail = OutboxMessage.get()
    assert "ThEKiZ Pusteblume" in mail.subject
    assert "Nina Neu" in mail.body_text and "Gera" in mail.body_text
    assert mail.status == "pending" and mail.locale == "de"


def test_invitation_link_uses_base_url_not_host_header(app, admin, centre):
    app.config["BASE_URL"] = "https://ehrenamt.example"
    with app.test_request_context(base_url="http://evil.example"):
        services.invite_coordinator(centre, actor=admin, email="x@example.org")
    mail = OutboxMessage.get()
    assert "https://ehrenamt.example/einladung/" in mail.body_text
    assert "evil.example" not in mail.body_text + mail.body_html


def test_invitation_to_existing_account_uses_its_language(client, admin, centre):
    make_user(email="anna@example.org", name="Anna Alt", locale="en")
    _invite(client, email="anna@example.org", name="")
    mail = OutboxMessage.get()
    assert mail.locale == "en"
    assert "Hello Anna Alt" in mail.body_text
    assert "log in with your account" in mail.body_text


@pytest.mark.parametrize(
    ("email", "name", "message"),
    [
        ("", "", "Please fill in this field."),
        ("keine-adresse", "", "Please enter a valid e-mail address, like name@example.org."),
        ("a@b.example\r\nBcc: c@d.example", "", "Please enter a valid e-mail address"),
        ("x" * 250 + "@b.de", "", "254"),
        ("ok@example.org", "n" * 101, "100"),
        ("ok@example.org", "Nina\x00", "invisible control characters"),
    ],
)
def test_bad_invitation_input_is_refused(client, admin, centre, email, name, message):
    response = _invite(client, email=email, name=name)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert Invitation.select().count() == 0
    assert OutboxMessage.select().count() == 0


def test_inviting_a_member_again_is_refused(client, admin, centre):
    make_coordinator(centre, email="schon@example.org")
    response = _invite(client, email="schon@example.org")
    assert "already coordinates this centre" in response.get_data(as_text=True)
    assert Invitation.select().count() == 0
    assert OutboxMessage.select().count() == 0


def test_inviting_the_same_address_again_renews_the_open_invitation(client, admin, centre):
    _invite(client)
    _invite(client, name="")
    assert Invitation.select().count() == 1
    assert Invitation.get().name == "Nina Neu"
    old, new = invitation_links("neu.person@example.org")
    assert Invitation.get().token_hash == hash_token(new)
    assert client.get(f"/einladung/{old}").status_code == 404
    assert client.get(f"/einladung/{new}").status_code == 200


def test_same_address_may_be_invited_to_another_centre(client, admin, centre):
    make_centre(slug="zweites")
    _invite(client)
    client.post("/verwaltung/zentren/zweites/einladen", data={"email": "neu.person@example.org"})
    assert Invitation.select().count() == 2


def test_resend_gives_a_new_link_and_invalidates_the_old(client, admin, centre):
    _invite(client)
    invitation = Invitation.get()
    response = client.post(
        f"/verwaltung/einladungen/{invitation.id}/erneut-senden",
        data={"next": "/verwaltung/zentren/pusteblume#invitations"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/verwaltung/zentren/pusteblume#invitations")
    old, new = invitation_links("neu.person@example.org")
    assert old != new
    assert client.get(f"/einladung/{old}").status_code == 404
    assert client.get(f"/einladung/{new}").status_code == 200


def test_resend_redirects_only_to_local_pages(client, admin, centre):
    invitation, _token = make_invitation(centre, "z@example.org")
    response = client.post(
        f"/verwaltung/einladungen/{invitation.id}/erneut-senden",
        data={"next": "https://evil.example/"},
    )
    assert response.headers["Location"].endswith("/verwaltung/")


def test_withdrawn_invitation_cannot_be_used_or_resent(client, admin, centre):
    _invite(client)
    [token] = invitation_links("neu.person@example.org")
    invitation = Invitation.get()
    assert client.post(f"/verwaltung/einladungen/{invitation.id}/zurueckziehen").status_code == 302
    withdrawn_at = Invitation.get().withdrawn_at
    assert withdrawn_at is not None
    response = client.get(f"/einladung/{token}")
    assert response.status_code == 410
    assert "withdrawn" in response.get_data(as_text=True)
    response = client.post(f"/verwaltung/einladungen/{invitation.id}/erneut-senden")
    assert "already been accepted or withdrawn" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert len(invitation_links("neu.person@example.org")) == 1
    # Withdrawing twice changes nothing either.
    client.post(f"/verwaltung/einladungen/{invitation.id}/zurueckziehen")
    assert Invitation.get().withdrawn_at == withdrawn_at
    # A new invitation to the same address is possible again.
    _invite(client)
    assert Invitation.select().count() == 2


def test_unknown_invitation_ids_are_404(client, admin, centre):
    assert client.post("/verwaltung/einladungen/999/erneut-senden").status_code == 404
    assert client.post("/verwaltung/einladungen/999/zurueckziehen").status_code == 404
    assert (
        client.post("/verwaltung/zentren/nirgends/einladen", data={"email": "a@b.de"}).status_code
        == 404
    )


def test_admin_removes_a_coordinator_from_one_centre(client, admin, centre):
    other = make_centre(slug="anderes")
    person = make_coordinator(centre, other, name="Karl Koordinator")
    page = client.get("/verwaltung/zentren/pusteblume").get_data(as_text=True)
    assert "Karl Koordinator" in page
    url = f"/verwaltung/zentren/pusteblume/koordination/{person.id}/entfernen"
    assert client.post(url).status_code == 302
    memberships = CentreMembership.select().where(CentreMembership.user == person.id)
    assert [m.centre_id for m in memberships] == [other.id]
    assert client.post(url).status_code == 404
    # Removing someone of another centre through this centre's URL does nothing.
    url_other = (
        f"/verwaltung/zentren/pusteblume/koordination/{make_coordinator(other).id}/entfernen"
    )
    assert client.post(url_other).status_code == 404
    assert CentreMembership.select().where(CentreMembership.centre == other.id).count() == 2


def test_mailed_link_works_once_end_to_end(app, client, admin, centre):
    _invite(client)
    [token] = invitation_links("neu.person@example.org")
    invitee = app.test_client()
    data = {"name": "Nina Neu", "password": "ein langer sicherer Satz", "privacy": "y"}
    response = invitee.post(f"/einladung/{token}", data=data)
    assert response.headers["Location"].endswith("/konto/zwei-faktor/einrichten")
    user = User.get(User.email == "neu.person@example.org")
    assert user.role == "coordinator"
    assert CentreMembership.get(CentreMembership.user == user.id).centre_id == centre.id
    assert app.test_client().post(f"/einladung/{token}", data=data).status_code == 410
    # The admin's dashboard no longer lists it as open; the centre counts one coordinator.
    client.get("/verwaltung/")  # shows (and so clears) the "invitation sent" message
    page = client.get("/verwaltung/").get_data(as_text=True)
    assert "neu.person@example.org" not in page
    assert '<td class="num">1</td>' in page
