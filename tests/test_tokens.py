"""API tokens: making them (the secret shown once, only its hash stored), scopes per kind
and role, revoking, limits, audit entries; authenticating a bearer token (valid, revoked,
expired, malformed, a feed key or session is no token, last use written at most once a
minute); which centres a token covers; the pages; privacy (export, erasure, retention)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from tests.factories import make_centre, make_coordinator, make_operator, make_user
from tests.factories_centres import count_queries
from volunteer_app.audit.models import AuditEntry
from volunteer_app.common.errors import Conflict, DomainError, NotAllowed, NotFound
from volunteer_app.common.security import hash_token
from volunteer_app.db import utcnow
from volunteer_app.tokens import services
from volunteer_app.tokens.auth import Principal, authenticate, bearer_token
from volunteer_app.tokens.models import ApiToken
from volunteer_app.tokens.scopes import allowed_scopes

RAW = re.compile(r"thekiz_[A-Za-z0-9_-]{43}")


class World:
    """Operator Ahorn with centres A1 and A2, centre B of operator Birke; a coordinator of
    each, an administrator and a volunteer."""

    def __init__(self):
        self.ahorn = make_operator(name="Träger Ahorn")
        self.birke = make_operator(name="Träger Birke")
        self.a1 = make_centre(name="Zentrum A1", slug="zentrum-a1", operator=self.ahorn)
        self.a2 = make_centre(name="Zentrum A2", slug="zentrum-a2", operator=self.ahorn)
        self.b = make_centre(name="Zentrum B", slug="zentrum-b", operator=self.birke)
        self.coord_a1 = make_coordinator(self.a1, name="Clara Eins")
        self.coord_a2 = make_coordinator(self.a2, name="Carl Zwei")
        self.coord_b = make_coordinator(self.b, name="Bodo Birke")
        self.admin = make_user(role="admin", name="Ada Admin")
        self.vera = make_user(name="Vera Vogel")


@pytest.fixture
def w(conn):
    return World()


# --- Making tokens -------------------------------------------------------------------------


def test_personal_token_is_shown_once_and_only_its_hash_is_stored(w):
    token, raw = services.create_personal_token(
        "Mein Kalender-Skript", ["profile:read"], actor=w.vera
    )
    assert RAW.fullmatch(raw)
    row = ApiToken.get_by_id(token.id)
    assert row.token_hash == hash_token(raw)
    assert row.prefix == raw[len("thekiz_") :][:8]
    assert row.kind == "personal" and row.owner_id == w.vera.id and row.scopes == "profile:read"
    stored = {str(v) for v in ApiToken.select().dicts().get().values()}
    assert raw not in stored and raw[len("thekiz_") :] not in stored
    # Two tokens never share a secret.
    _, other = services.create_personal_token("Zweites", ["profile:read"], actor=w.vera)
    assert other != raw


def test_scopes_per_kind_and_role(w):
    assert allowed_scopes("personal", "volunteer") == [
        "programme:read",
        "profile:read",
        "signups:write",
    ]
    assert set(allowed_scopes("personal", "coordinator")) == {
        "programme:read",
        "staffing:read",
        "assignments:write",
        "profile:read",
        "signups:write",
    }
    assert allowed_scopes("service", None) == [
        "programme:read",
        "staffing:read",
        "assignments:write",
    ]
    with pytest.raises(DomainError) as refused:
        services.create_personal_token("x", ["staffing:read"], actor=w.vera)
    assert refused.value.field == "scopes"
    with pytest.raises(DomainError):
        services.create_personal_token("x", ["admin:everything"], actor=w.vera)
    with pytest.raises(DomainError):
        services.create_personal_token("x", [], actor=w.vera)
    with pytest.raises(DomainError):
        services.create_service_token("x", ["profile:read"], centre=w.a1, actor=w.coord_a1)
    token, _ = services.create_personal_token(
        "Planung", "staffing:read, assignments:write", actor=w.coord_a1
    )
    assert token.scopes == "staffing:read assignments:write"
    with pytest.raises(DomainError) as named:
        services.create_personal_token("  ", ["profile:read"], actor=w.vera)
    assert named.value.field == "name"
    with pytest.raises(DomainError):
        services.create_personal_token("x" * 81, ["profile:read"], actor=w.vera)


def test_only_confirmed_people_make_personal_tokens(w):
    unconfirmed = make_user(email_confirmed_at=None)
    with pytest.raises(NotAllowed):
        services.create_personal_token("x", ["profile:read"], actor=unconfirmed)


def test_who_makes_service_tokens(w):
    token, raw = services.create_service_token(
        "Website", ["programme:read", "staffing:read"], centre=w.a1, actor=w.coord_a1
    )
    assert token.centre_id == w.a1.id and token.created_by_id == w.coord_a1.id
    assert token.owner_id is None and RAW.fullmatch(raw)
    with pytest.raises(NotAllowed):
        services.create_service_token("x", ["staffing:read"], centre=w.a1, actor=w.coord_b)
    with pytest.raises(NotAllowed):
        services.create_service_token("x", ["staffing:read"], centre=w.a1, actor=w.vera)
    services.create_service_token("Admin", ["staffing:read"], centre=w.b, actor=w.admin)
    with pytest.raises(NotAllowed):
        services.create_service_token("x", ["staffing:read"], operator=w.ahorn, actor=w.coord_a1)
    op, _ = services.create_service_token(
        "Träger-Dienst", ["assignments:write"], operator=w.ahorn, actor=w.admin
    )
    assert op.operator_id == w.ahorn.id and op.centre_id is None


def test_limit_of_active_tokens(w, app):
    app.config["API_TOKENS_MAX_ACTIVE"] = 2
    first, _ = services.create_personal_token("1", ["profile:read"], actor=w.vera)
    services.create_personal_token("2", ["profile:read"], actor=w.vera)
    with pytest.raises(Conflict) as refused:
        services.create_personal_token("3", ["profile:read"], actor=w.vera)
    assert "2" in refused.value.message
    # Another person, or a centre, has its own count; a revoked token frees a place.
    services.create_personal_token("1", ["profile:read"], actor=w.coord_a1)
    services.create_service_token("1", ["staffing:read"], centre=w.a1, actor=w.coord_a1)
    services.revoke_token(first.id, actor=w.vera)
    services.create_personal_token("3", ["profile:read"], actor=w.vera)


def test_making_and_revoking_are_audited_without_the_secret(w):
    token, raw = services.create_service_token(
        "Website", ["staffing:read"], centre=w.a1, actor=w.coord_a1
    )
    op, op_raw = services.create_service_token(
        "Träger", ["staffing:read"], operator=w.ahorn, actor=w.admin
    )
    services.revoke_token(op.id, actor=w.coord_a2)
    entries = list(AuditEntry.select().order_by(AuditEntry.id))
    made = [(e.centre_id, e.action) for e in entries]
    assert made == [
        (w.a1.id, "token.created"),
        (w.a1.id, "token.created"),
        (w.a2.id, "token.created"),
        (w.a1.id, "token.revoked"),
        (w.a2.id, "token.revoked"),
    ]
    assert f"#{token.id}" in entries[0].detail and "Website" in entries[0].detail
    assert all(raw not in e.detail and op_raw not in e.detail for e in entries)
    # A volunteer's personal token concerns no centre; a coordinator's staff token does.
    services.create_personal_token("Ich", ["profile:read"], actor=w.vera)
    assert AuditEntry.select().count() == 5
    services.create_personal_token("Planung", ["staffing:read"], actor=w.coord_b)
    assert AuditEntry.select().where(AuditEntry.centre == w.b.id).count() == 1


def test_who_revokes(w):
    personal, _ = services.create_personal_token("Ich", ["profile:read"], actor=w.vera)
    with pytest.raises(NotFound):
        services.revoke_token(personal.id, actor=w.admin)
    with pytest.raises(NotFound):
        services.revoke_token(10**6, actor=w.vera)
    services.revoke_token(personal.id, actor=w.vera)
    with pytest.raises(Conflict):
        services.revoke_token(personal.id, actor=w.vera)
    centre_token, _ = services.create_service_token(
        "Website", ["staffing:read"], centre=w.a1, actor=w.coord_a1
    )
    with pytest.raises(NotAllowed):
        services.revoke_token(centre_token.id, actor=w.coord_a2)
    with pytest.raises(NotAllowed):
        services.revoke_token(centre_token.id, actor=w.vera)
    services.revoke_token(centre_token.id, actor=w.admin)
    op, _ = services.create_service_token("Op", ["staffing:read"], operator=w.ahorn, actor=w.admin)
    with pytest.raises(NotAllowed):
        services.revoke_token(op.id, actor=w.coord_b)
    services.revoke_token(op.id, actor=w.coord_a1)
    row = ApiToken.get_by_id(op.id)
    assert row.revoked_at is not None and row.revoked_by_id == w.coord_a1.id


# --- Authenticating ------------------------------------------------------------------------


def test_authenticate_valid_revoked_expired_malformed(w):
    token, raw = services.create_personal_token(
        "Ich", ["profile:read", "signups:write"], actor=w.vera
    )
    who = authenticate(raw)
    assert who == Principal(
        token_id=token.id,
        kind="personal",
        name="Ich",
        scopes=frozenset({"profile:read", "signups:write"}),
        user=who.user,
        operator_id=None,
        centre_id=None,
    )
    assert who.user.id == w.vera.id and who.has("profile:read") and not who.has("staffing:read")
    for bad in (None, "", "thekiz_", raw[:-1], raw + "x", raw.upper(), " " + raw, "Bearer " + raw):
        assert authenticate(bad) is None
    assert authenticate("thekiz_" + "A" * 43) is None  # well-formed, unknown
    services.revoke_token(token.id, actor=w.vera)
    assert authenticate(raw) is None
    soon = utcnow() + dt.timedelta(hours=1)
    _, raw2 = services.create_personal_token(
        "Bald", ["profile:read"], actor=w.vera, expires_at=soon
    )
    assert authenticate(raw2) is not None
    with time_machine.travel(soon + dt.timedelta(seconds=1), tick=False):
        assert authenticate(raw2) is None


def test_feed_key_session_and_switched_off_owner_are_no_token(w, conn):
    from volunteer_app.feeds.services import create_link, link_token

    link = create_link("volunteer", None, actor=w.vera)
    feed_key = link_token(link)
    assert authenticate(feed_key) is None
    assert authenticate("thekiz_" + feed_key) is None
    assert authenticate(w.vera.session_token) is None
    assert authenticate(w.vera.get_id()) is None
    _, raw = services.create_personal_token("Ich", ["profile:read"], actor=w.vera)
    w.vera.is_active = False
    w.vera.save()
    assert authenticate(raw) is None


def test_staff_scopes_end_with_the_role_and_service_tokens_outlive_their_maker(w):
    _, raw = services.create_personal_token(
        "Planung", ["staffing:read", "profile:read"], actor=w.coord_a1
    )
    assert authenticate(raw).scopes == {"staffing:read", "profile:read"}
    w.coord_a1.role = "volunteer"
    w.coord_a1.save()
    assert authenticate(raw).scopes == {"profile:read"}
    maker = make_coordinator(w.b)
    _, service_raw = services.create_service_token("S", ["staffing:read"], centre=w.b, actor=maker)
    maker.delete_instance()
    who = authenticate(service_raw)
    assert who is not None and who.user is None and who.centre_id == w.b.id


def test_last_use_is_written_at_most_once_a_minute(w):
    token, raw = services.create_service_token(
        "Website", ["staffing:read"], centre=w.a1, actor=w.coord_a1
    )
    start = utcnow()
    with time_machine.travel(start.replace(tzinfo=dt.UTC), tick=False) as traveller:
        with count_queries() as first:
            authenticate(raw)
        assert first.count == 2  # the SELECT and the UPDATE of the last use
        assert ApiToken.get_by_id(token.id).last_used_at == start
        traveller.shift(30)
        with count_queries() as again:
            for _ in range(5):
                authenticate(raw)
        assert again.count == 5  # only the SELECTs
        assert ApiToken.get_by_id(token.id).last_used_at == start
        traveller.shift(31)
        with count_queries() as later:
            authenticate(raw)
        assert later.count == 2
        assert ApiToken.get_by_id(token.id).last_used_at == start + dt.timedelta(seconds=61)


def test_bearer_token():
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc") == "abc"
    for bad in (None, "", "Bearer", "Bearer ", "Basic abc", "Bearer a b", "abc"):
        assert bearer_token(bad) is None


def test_covers_centre(w):
    _, centre_raw = services.create_service_token(
        "A1", ["staffing:read"], centre=w.a1, actor=w.coord_a1
    )
    _, op_raw = services.create_service_token(
        "Ahorn", ["staffing:read"], operator=w.ahorn, actor=w.admin
    )
    _, coord_raw = services.create_personal_token("P", ["staffing:read"], actor=w.coord_a1)
    _, admin_raw = services.create_personal_token("P", ["staffing:read"], actor=w.admin)
    _, vera_raw = services.create_personal_token("P", ["profile:read"], actor=w.vera)
    covered = {
        name: {c.slug for c in (w.a1, w.a2, w.b) if authenticate(raw).covers_centre(c)}
        for name, raw in (
            ("centre", centre_raw),
            ("operator", op_raw),
            ("coordinator", coord_raw),
            ("admin", admin_raw),
            ("volunteer", vera_raw),
        )
    }
    assert covered == {
        "centre": {"zentrum-a1"},
        "operator": {"zentrum-a1", "zentrum-a2"},
        "coordinator": {"zentrum-a1"},
        "admin": {"zentrum-a1", "zentrum-a2", "zentrum-b"},
        "volunteer": set(),
    }


def test_record_api_change_names_the_token(w):
    from tests.factories import make_activity, make_slot

    slot = make_slot(make_activity(w.a2))
    _, raw = services.create_service_token(
        "Ahorn", ["assignments:write"], operator=w.ahorn, actor=w.admin
    )
    who = authenticate(raw)
    services.record_api_change(who, "signup.assigned", f"slot:{slot.id} volunteer:{w.vera.id}")
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    assert entry.centre_id == w.a2.id and entry.slot_id == slot.id
    assert entry.action == "api.change" and entry.actor_id == w.admin.id
    assert "signup.assigned" in entry.detail and "service token 'Ahorn'" in entry.detail
    assert f"#{who.token_id}" in entry.detail
    _, centre_raw = services.create_service_token(
        "A1", ["assignments:write"], centre=w.a1, actor=w.coord_a1
    )
    services.record_api_change(authenticate(centre_raw), "signup.unassigned", "signup 4")
    assert AuditEntry.select().order_by(AuditEntry.id.desc()).get().centre_id == w.a1.id
    with pytest.raises(ValueError):
        services.record_api_change(who, "signup.assigned", "something")


# --- Pages ---------------------------------------------------------------------------------

MINE = "/konto/api-zugaenge"


def _centre_url(centre, suffix=""):
    return f"/zentren/{centre.slug}/api-zugaenge{suffix}"


def _operator_url(operator, suffix=""):
    return f"/verwaltung/traeger/{operator.id}/api-zugaenge{suffix}"


def _secret(resp) -> str:
    found = RAW.findall(resp.get_data(as_text=True))
    assert len(set(found)) == 1, found
    return found[0]


def test_personal_page_shows_the_token_once_and_revokes(w, client, login_as):
    login_as(w.vera)
    page = client.get(MINE)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "/api/v1/docs" in body and "profile:read" in body
    assert "staffing:read" not in body and "assignments:write" not in body
    made = client.post(
        MINE, data={"name": "Mein Skript", "scopes": ["profile:read", "signups:write"]}
    )
    assert made.status_code == 200
    assert made.headers["Cache-Control"] == "no-store"
    raw = _secret(made)
    assert "Set-Cookie" not in made.headers or raw not in made.headers["Set-Cookie"]
    row = ApiToken.get(ApiToken.owner == w.vera.id)
    assert row.token_hash == hash_token(raw) and row.scopes == "profile:read signups:write"
    again = client.get(MINE).get_data(as_text=True)
    assert raw not in again and row.prefix in again and "Mein Skript" in again
    assert authenticate(raw) is not None
    revoked = client.post(f"{MINE}/{row.id}/widerrufen")
    assert revoked.status_code == 302 and revoked.headers["Location"].endswith(MINE)
    assert authenticate(raw) is None
    assert client.post(f"{MINE}/{row.id}/widerrufen").status_code == 302  # "revoked already"
    assert ApiToken.get_by_id(row.id).revoked_by_id == w.vera.id


def test_personal_page_refuses_staff_scopes_and_others_tokens(w, client, login_as):
    login_as(w.vera)
    refused = client.post(MINE, data={"name": "x", "scopes": ["staffing:read"]})
    assert refused.status_code == 400 and not ApiToken.select().exists()
    assert client.post(MINE, data={"name": "", "scopes": ["profile:read"]}).status_code == 400
    other, _ = services.create_personal_token("Fremd", ["profile:read"], actor=w.coord_a1)
    assert client.post(f"{MINE}/{other.id}/widerrufen").status_code == 404
    assert ApiToken.get_by_id(other.id).revoked_at is None
    login_as(w.coord_a1)
    body = client.get(MINE).get_data(as_text=True)
    assert "staffing:read" in body and "assignments:write" in body


def test_centre_page_for_its_coordinators(w, client, login_as):
    op, _ = services.create_service_token(
        "Träger-Software", ["staffing:read"], operator=w.ahorn, actor=w.admin
    )
    b_token, _ = services.create_service_token(
        "B-Website", ["staffing:read"], centre=w.b, actor=w.coord_b
    )
    login_as(w.coord_a1)
    made = client.post(
        _centre_url(w.a1),
        data={"name": "Website", "scopes": ["programme:read"], "expires_in": "90"},
    )
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    raw = _secret(made)
    who = authenticate(raw)
    assert who.centre_id == w.a1.id and who.kind == "service"
    row = ApiToken.get_by_id(who.token_id)
    assert dt.timedelta(days=89) < row.expires_at - utcnow() <= dt.timedelta(days=90)
    body = client.get(_centre_url(w.a1)).get_data(as_text=True)
    assert "Website" in body and "Träger-Software" in body and "B-Website" not in body
    assert "profile:read" not in body
    # Another centre's token is not found here; the operator's may be revoked from here.
    assert client.post(_centre_url(w.a1, f"/{b_token.id}/widerrufen")).status_code == 404
    assert client.post(_centre_url(w.a1, f"/{op.id}/widerrufen")).status_code == 302
    assert ApiToken.get_by_id(op.id).revoked_by_id == w.coord_a1.id
    # Another centre's coordinator, and a volunteer, may not see or use the page.
    login_as(w.coord_b)
    assert client.get(_centre_url(w.a1)).status_code == 403
    assert client.post(_centre_url(w.a1, f"/{row.id}/widerrufen")).status_code == 403
    assert (
        client.post(_centre_url(w.a1), data={"name": "x", "scopes": ["staffing:read"]}).status_code
        == 403
    )
    login_as(w.vera)
    assert client.get(_centre_url(w.a1)).status_code == 403
    assert ApiToken.get_by_id(row.id).revoked_at is None


def test_operator_page_for_administrators(w, client, login_as):
    login_as(w.admin)
    assert "api-zugaenge" in client.get(f"/verwaltung/traeger/{w.ahorn.id}").get_data(as_text=True)
    made = client.post(
        _operator_url(w.ahorn), data={"name": "Planung", "scopes": ["assignments:write"]}
    )
    assert made.status_code == 200
    who = authenticate(_secret(made))
    assert who.operator_id == w.ahorn.id and who.has("assignments:write")
    assert client.get(_operator_url(w.birke)).status_code == 200
    assert client.get("/verwaltung/traeger/999999/api-zugaenge").status_code == 404
    login_as(w.coord_a1)
    assert client.get(_operator_url(w.ahorn)).status_code == 403
    assert client.post(_operator_url(w.ahorn, f"/{who.token_id}/widerrufen")).status_code == 403
    anonymous = client.application.test_client()
    assert anonymous.get(MINE).status_code == 302
    assert anonymous.get(_operator_url(w.ahorn)).status_code == 302


def test_links_to_the_pages(w, client, login_as):
    login_as(w.vera)
    assert MINE in client.get("/konto/").get_data(as_text=True)
    login_as(w.coord_a1)
    assert _centre_url(w.a1) in client.get(_centre_url(w.a1)).get_data(as_text=True)


def test_list_pages_have_a_fixed_number_of_queries(w, client, login_as):
    def counted(url):
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    login_as(w.coord_a1)
    services.create_personal_token("0", ["staffing:read"], actor=w.coord_a1)
    services.create_service_token("0", ["staffing:read"], centre=w.a1, actor=w.coord_a1)
    services.create_service_token("0", ["staffing:read"], operator=w.ahorn, actor=w.admin)
    few = (counted(MINE), counted(_centre_url(w.a1)))
    for n in range(8):
        services.create_personal_token(f"p{n}", ["staffing:read"], actor=w.coord_a1)
        t, _ = services.create_service_token(
            f"c{n}", ["staffing:read"], centre=w.a1, actor=w.coord_a1
        )
        services.create_service_token(f"o{n}", ["staffing:read"], operator=w.ahorn, actor=w.admin)
        if n % 2:
            services.revoke_token(t.id, actor=w.coord_a1)
    many = (counted(MINE), counted(_centre_url(w.a1)))
    # The person; for the centre: the centre and the membership check; then one for the tokens.
    assert few == many == (2, 4)
    login_as(w.admin)
    assert counted(_operator_url(w.ahorn)) == 3


# --- Privacy -------------------------------------------------------------------------------


def test_data_download_erasure_and_retention(w, app):
    from volunteer_app.erasure.services import erase_account
    from volunteer_app.privacy.queries import personal_data
    from volunteer_app.retention.services import run_retention

    mine, raw = services.create_personal_token("Mein Skript", ["profile:read"], actor=w.vera)
    made, made_raw = services.create_service_token(
        "Website", ["staffing:read"], centre=w.a1, actor=w.coord_a1
    )
    data = personal_data(w.vera, now=utcnow())["api_tokens"]
    assert data == [
        {
            "kind": "personal",
            "name": "Mein Skript",
            "prefix": f"thekiz_{mine.prefix}…",
            "scopes": ["profile:read"],
            "centre": None,
            "operator": None,
            "yours": True,
            "created_at": data[0]["created_at"],
            "last_used_at": None,
            "expires_at": None,
            "revoked_at": None,
        }
    ]
    assert raw not in str(data) and mine.token_hash not in str(data)
    staff = personal_data(w.coord_a1, now=utcnow())["api_tokens"]
    assert [(t["name"], t["centre"], t["yours"]) for t in staff] == [
        ("Website", "Zentrum A1", False)
    ]
    assert made_raw not in str(staff) and made.token_hash not in str(staff)
    # Erasing an account deletes its personal tokens; a service token it made goes on working.
    erase_account(w.vera)
    assert not ApiToken.select().where(ApiToken.id == mine.id).exists()
    make_coordinator(w.a1)  # so that A1 keeps a coordinator
    erase_account(w.coord_a1)
    assert authenticate(made_raw).user is None
    # Revoked or expired tokens go RETENTION_API_TOKEN_DAYS later, active ones stay.
    services.revoke_token(made.id, actor=w.admin)
    soon = utcnow() + dt.timedelta(days=1)
    _, _expiring = services.create_personal_token(
        "Bald", ["programme:read"], actor=w.coord_b, expires_at=soon
    )
    services.create_personal_token("Bleibt", ["programme:read"], actor=w.coord_b)
    days = app.config["RETENTION_API_TOKEN_DAYS"]
    assert run_retention(now=utcnow() + dt.timedelta(days=days - 1)).counts["api_tokens"] == 0
    assert run_retention(now=utcnow() + dt.timedelta(days=days, hours=1)).counts["api_tokens"] == 1
    later = run_retention(now=soon + dt.timedelta(days=days, hours=1))
    assert later.counts["api_tokens"] == 1
    assert [t.name for t in ApiToken.select()] == ["Bleibt"]
