"""Authorization matrix: every route × every role × every method, with centre A's ids in the URL.

The security baseline (docs/security.md, "Authorization"): a test matrix of routes × roles
(anonymous, volunteer, coordinator of centre A, coordinator of centre B, admin) proves that
nobody reads or changes what is not theirs by editing an id in the URL.

How it stays honest as the app grows:
- ``test_every_route_is_in_the_matrix`` walks ``app.url_map``: a new route (or a new method
  on a route, or a changed URL) fails until somebody writes down here who may use it.
- Each (route, role, method) is its own test. Allowed roles send a valid form and must really
  succeed (status, redirect target, and exactly the tables that should change); refused roles
  must get 403/404 or the login page, and every table of ``all_models()`` must be unchanged.
- Whatever the outcome, centre B's rows (its own and every row with a centre column pointing
  at it) and other people's accounts stay as they were, and no page shows a person the role
  has no business seeing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from collections.abc import Callable
from urllib.parse import urlparse

import pyotp
import pytest

from config import TestingConfig
from tests.factories import PASSWORD
from tests.factories_accounts import TOTP_SECRET, use_fast_hashing
from tests.factories_activities import (
    authz_activity_form,
    authz_centre_a,
    authz_planning,
    authz_schedule_form,
    authz_slot_form,
)
from tests.factories_authz import (
    ROLES,
    Rows,
    SavedWorld,
    Snapshot,
    World,
    WorldRows,
    build_world,
    changed_tables,
    give_totp,
    rehydrate,
    restorable_pg,
    restore_pg_world,
    rows_of_centre,
    save_pg_world,
    snapshot,
    world_rows,
)
from tests.factories_coordination import (
    authz_centre,
    authz_desk,
    authz_signup,
    authz_slot,
    authz_volunteer,
)
from tests.factories_signups import authz_signed_up, authz_slot_a
from tests.write_log import WriteLog
from volunteer_app import create_app
from volunteer_app.centres.models import Centre
from volunteer_app.centres.queries import today
from volunteer_app.db import db, make_database

# --- Outcomes ------------------------------------------------------------------------------

LOGIN = "/konto/anmelden"
PROFILE = "/konto/"
HOME = "/"
CHECK_MAIL = "/konto/post-unterwegs"
TOTP_SETUP = "/konto/zwei-faktor/einrichten"
DASHBOARD = "/verwaltung/"
EDIT_A = "/zentren/zentrum-a/bearbeiten"
ADMIN_A = "/verwaltung/zentren/zentrum-a"
UNKNOWN_TOKEN = "unknown-token-" + "x" * 30


@dataclasses.dataclass(frozen=True)
class Expect:
    """What a request must answer, and which tables it must change (none unless named)."""

    status: tuple[int, ...]
    location: str | None = None  # path of the redirect target
    changes: frozenset[str] = frozenset()
    refused: bool = False

    def __str__(self) -> str:
        where = f" -> {self.location}" if self.location else ""
        return f"{'/'.join(map(str, self.status))}{where} changes={sorted(self.changes)}"


def shown(*changes: str) -> Expect:
    return Expect((200,), changes=frozenset(changes))


def done(location: str, *changes: str) -> Expect:
    """Allowed: a redirect to ``location`` after the change."""
    return Expect((302,), location, frozenset(changes))


OK = shown()
TO_LOGIN = Expect((302,), LOGIN, refused=True)
FORBIDDEN = Expect((403,), refused=True)
NOT_YOURS = Expect((403, 404), refused=True)
BAD_LINK = Expect((400,), refused=True)  # the accounts' "link not valid" page
NO_INVITATION = Expect((404,), refused=True)


def everyone(expect: Expect) -> dict[str, Expect]:
    return dict.fromkeys(ROLES, expect)


def logged_in(expect: Expect, **by_role: Expect) -> dict[str, Expect]:
    return {**dict.fromkeys(ROLES, expect), "anonymous": TO_LOGIN, **by_role}


def anonymous_only(expect: Expect, logged_in_: Expect) -> dict[str, Expect]:
    return {**dict.fromkeys(ROLES, logged_in_), "anonymous": expect}


def staff(expect: Expect) -> dict[str, Expect]:
    return {**dict.fromkeys(ROLES, expect), "anonymous": TO_LOGIN, "volunteer": FORBIDDEN}


def own_centre(expect: Expect) -> dict[str, Expect]:
    """Centre A's coordinators and admins; B's coordinator may get 403 or 404."""
    return {
        "anonymous": TO_LOGIN,
        "volunteer": FORBIDDEN,
        "coordinator_a": expect,
        "coordinator_b": NOT_YOURS,
        "admin": expect,
    }


def admin_only(expect: Expect) -> dict[str, Expect]:
    return {**dict.fromkeys(ROLES, FORBIDDEN), "anonymous": TO_LOGIN, "admin": expect}


# A roster action: the sign-up and the slot's count change, logged and mailed.
DESK_SIGNUP_CHANGE = Expect(
    (302,), changes=frozenset({"Signup", "Slot", "AuditEntry", "OutboxMessage"})
)
# The sign-up changes (logged and mailed) but the slot's count stays as it was.
DESK_SIGNUP_ONLY = Expect((302,), changes=frozenset({"Signup", "AuditEntry", "OutboxMessage"}))


# --- The matrix ----------------------------------------------------------------------------


def _no_params(world: World) -> dict:
    return {}


def _no_form(world: World) -> dict:
    return {}


@dataclasses.dataclass(frozen=True)
class Route:
    rule: str
    get: dict[str, Expect] | None = None
    post: dict[str, Expect] | None = None
    delete: dict[str, Expect] | None = None  # the JSON API's (tests/authz_routes_api.py)
    params: Callable[[World], dict] = _no_params
    form: Callable[[World], dict] = _no_form
    # Runs (logged in, before the snapshot) to put the world into the state the page needs.
    prepare: Callable[[object, World], None] | None = None
    # The one account besides the actor's whose row the route may change (log-in by form).
    also_changes_user: str | None = None

    def methods(self) -> set[str]:
        return {m for m in ("GET", "POST", "DELETE") if getattr(self, m.lower()) is not None}


def _slug_a(w: World) -> dict:
    return {"slug": w.centre_a.slug}


def _token(w: World) -> dict:
    return {"token": UNKNOWN_TOKEN}


def _day(days_ahead: int) -> str:
    return (today() + dt.timedelta(days=days_ahead)).isoformat()


def _centre_form(w: World) -> dict:
    # Coordinators' form ignores operator and web address; the admins' form needs them.
    return {
        "name": "Zentrum A am Anger",
        "street": "Anger 1",
        "postcode": "99084",
        "town": "Erfurt",
        "description": "Für alle Familien.",
        "contact_email": "info@zentrum-a.example",
        "contact_phone": "+49 361 123456",
        "operator_id": str(w.operator_a.id),
        "slug": w.centre_a.slug,
    }


def _pending_totp_secret(client, w: World) -> None:
    with client.session_transaction() as sess:
        sess["totp_pending"] = TOTP_SECRET


def _volunteer_has_totp(client, w: World) -> None:
    give_totp(w.volunteer)


MATRIX: dict[str, Route] = {
    # --- public pages
    "core.index": Route("/", get=everyone(OK)),
    "core.healthz": Route("/healthz", get=everyone(OK)),
    "core.privacy": Route("/datenschutz", get=everyone(OK)),
    "core.imprint": Route("/impressum", get=everyone(OK)),
    "core.accessibility": Route("/barrierefreiheit", get=everyone(OK)),
    "core.easy_language": Route("/leichte-sprache", get=everyone(OK)),
    "core.easy_centre": Route("/zentren/<slug>/leichte-sprache", get=everyone(OK), params=_slug_a),
    "core.set_language": Route(
        "/language",
        post=logged_in(done(HOME, "User"), anonymous=done(HOME)),
        form=lambda w: {"lang": "en", "next": "/"},
    ),
    "centres.list_centres": Route("/zentren/", get=everyone(OK)),
    "centres.show_centre": Route("/zentren/<slug>", get=everyone(OK), params=_slug_a),
    # --- accounts: public forms
    "accounts.login": Route(
        "/konto/anmelden",
        get=anonymous_only(OK, done(PROFILE)),
        post=anonymous_only(done(HOME, "User"), done(PROFILE)),
        form=lambda w: {"email": w.volunteer.email, "password": PASSWORD},
        also_changes_user="volunteer",
    ),
    "accounts.logout": Route("/konto/abmelden", post=everyone(done(HOME))),
    "accounts.register": Route(
        "/konto/registrieren",
        get=anonymous_only(OK, done(PROFILE)),
        post=anonymous_only(
            done(CHECK_MAIL, "User", "Consent", "LoginToken", "OutboxMessage"), done(PROFILE)
        ),
        form=lambda w: {
            "name": "Nora Neumann",
            "email": "nora.neumann@example.org",
            "password": "a long and new passphrase",
            "consent": "y",
        },
    ),
    "accounts.check_mail": Route("/konto/post-unterwegs", get=everyone(OK)),
    "accounts.resend_confirmation": Route(
        "/konto/bestaetigung-anfordern",
        get=everyone(OK),
        post=everyone(done(CHECK_MAIL, "LoginToken", "OutboxMessage")),
        form=lambda w: {"email": w.unconfirmed.email},
    ),
    "accounts.reset_request": Route(
        "/konto/passwort-vergessen",
        get=everyone(OK),
        post=everyone(done(CHECK_MAIL, "LoginToken", "OutboxMessage")),
        form=lambda w: {"email": w.volunteer.email},
    ),
    # --- accounts: links from mails (an unknown token is refused for everyone)
    "accounts.confirm_email": Route(
        "/konto/bestaetigen/<token>", get=everyone(BAD_LINK), post=everyone(BAD_LINK), params=_token
    ),
    "accounts.reset_password": Route(
        "/konto/passwort-neu/<token>",
        get=everyone(BAD_LINK),
        post=everyone(BAD_LINK),
        params=_token,
        form=lambda w: {"password": "a long and new passphrase"},
    ),
    "accounts.confirm_email_change": Route(
        "/konto/e-mail-bestaetigen/<token>",
        get=everyone(BAD_LINK),
        post=everyone(BAD_LINK),
        params=_token,
    ),
    # --- accounts: one's own account (the actor's row only)
    "accounts.profile": Route("/konto/", get=logged_in(OK)),
    "accounts.update_profile": Route(
        "/konto/daten",
        post=logged_in(done(PROFILE, "User")),
        form=lambda w: {"name": "Neuer Name", "phone": "0361 123456", "locale": "en"},
    ),
    "accounts.change_password": Route(
        "/konto/passwort",
        post=logged_in(done(PROFILE, "User", "OutboxMessage")),
        form=lambda w: {"current_password": PASSWORD, "new_password": "a brand new passphrase"},
    ),
    "accounts.change_email": Route(
        "/konto/e-mail",
        post=logged_in(done(PROFILE, "LoginToken", "OutboxMessage")),
        form=lambda w: {"new_email": "new.address@example.org", "email_password": PASSWORD},
    ),
    "accounts.reauthenticate": Route(
        "/konto/passwort-bestaetigen",
        get=logged_in(OK),
        post=logged_in(done(PROFILE)),
        form=lambda w: {"password": PASSWORD},
    ),
    "accounts.logout_everywhere": Route(
        "/konto/ueberall-abmelden", post=logged_in(done(LOGIN, "User"))
    ),
    # Staff have TOTP switched on (they must); the volunteer has not, unless prepared.
    "accounts.totp_setup": Route(
        "/konto/zwei-faktor/einrichten",
        get=staff(done(PROFILE)) | {"volunteer": OK},
        post=staff(done(PROFILE)) | {"volunteer": shown("User", "RecoveryCode")},
        prepare=_pending_totp_secret,
        form=lambda w: {"code": pyotp.TOTP(TOTP_SECRET).now()},
    ),
    "accounts.totp_verify": Route(
        "/konto/zwei-faktor",
        get=logged_in(done(HOME), volunteer=done(TOTP_SETUP)),
        post=logged_in(done(HOME), volunteer=done(TOTP_SETUP)),
        form=lambda w: {"code": "123456"},
    ),
    "accounts.recovery_login": Route(
        "/konto/wiederherstellung",
        get=logged_in(done(HOME)),
        post=logged_in(done(HOME)),
        form=lambda w: {"code": "aaaa-bbbb-cccc"},
    ),
    "accounts.recovery_codes": Route(
        "/konto/zwei-faktor/wiederherstellungscodes",
        get=logged_in(OK),
        post=logged_in(shown("RecoveryCode")),
        prepare=_volunteer_has_totp,
    ),
    "accounts.totp_disable": Route(
        "/konto/zwei-faktor/ausschalten",
        get=logged_in(OK),
        # Staff are refused by the service (they must keep the second factor).
        post=logged_in(done(PROFILE), volunteer=done(PROFILE, "User", "RecoveryCode")),
        prepare=_volunteer_has_totp,
    ),
    # --- centres: the coordinators' area
    "centres.my_centres": Route("/meine-zentren", get=staff(OK)),
    "centres.edit_centre": Route(
        "/zentren/<slug>/bearbeiten",
        get=own_centre(OK),
        post=own_centre(done(EDIT_A, "Centre")),
        params=_slug_a,
        form=_centre_form,
    ),
    "centres.add_closing_day": Route(
        "/zentren/<slug>/schliesstage",
        post=own_centre(done(EDIT_A, "ClosingDay")),
        params=_slug_a,
        form=lambda w: {"day": _day(20), "reason": "Teamtag"},
    ),
    "centres.remove_closing_day": Route(
        "/zentren/<slug>/schliesstage/<int:day_id>/entfernen",
        post=own_centre(done(EDIT_A, "ClosingDay")),
        params=lambda w: {"slug": w.centre_a.slug, "day_id": w.day_a.id},
    ),
    "centres.accept_invitation": Route(
        "/einladung/<token>",
        get=everyone(NO_INVITATION),
        post=everyone(NO_INVITATION),
        params=_token,
        form=lambda w: {"name": "Irgendwer", "password": "a long and new passphrase"},
    ),
    # --- administration
    "admin.dashboard": Route("/verwaltung/", get=admin_only(OK)),
    "admin.create_operator": Route(
        "/verwaltung/traeger-anlegen",
        get=admin_only(OK),
        post=admin_only(done(DASHBOARD, "Operator")),
        form=lambda w: {"name": "Träger Neu"},
    ),
    "admin.edit_operator": Route(
        "/verwaltung/traeger/<int:operator_id>",
        get=admin_only(OK),
        post=admin_only(done(DASHBOARD, "Operator")),
        params=lambda w: {"operator_id": w.operator_a.id},
        form=lambda w: {"name": "Träger Ahorn umbenannt"},
    ),
    "admin.create_centre": Route(
        "/verwaltung/zentrum-anlegen",
        get=admin_only(OK),
        post=admin_only(done("/verwaltung/zentren/zentrum-neu", "Centre")),
        form=lambda w: {
            "name": "Zentrum Neu",
            "town": "Jena",
            "operator_id": str(w.operator_a.id),
            "slug": "zentrum-neu",
        },
    ),
    "admin.centre_detail": Route("/verwaltung/zentren/<slug>", get=admin_only(OK), params=_slug_a),
    "admin.invite_coordinator": Route(
        "/verwaltung/zentren/<slug>/einladen",
        post=admin_only(done(ADMIN_A, "Invitation", "OutboxMessage")),
        params=_slug_a,
        form=lambda w: {"email": "kim.neu@example.org", "name": "Kim Neu"},
    ),
    "admin.remove_coordinator": Route(
        "/verwaltung/zentren/<slug>/koordination/<int:user_id>/entfernen",
        post=admin_only(done(ADMIN_A, "CentreMembership")),
        params=lambda w: {"slug": w.centre_a.slug, "user_id": w.coordinator_a.id},
    ),
    "admin.resend_invitation": Route(
        "/verwaltung/einladungen/<int:invitation_id>/erneut-senden",
        post=admin_only(done(DASHBOARD, "Invitation", "OutboxMessage")),
        params=lambda w: {"invitation_id": w.invitation_a.id},
    ),
    "admin.withdraw_invitation": Route(
        "/verwaltung/einladungen/<int:invitation_id>/zurueckziehen",
        post=admin_only(done(DASHBOARD, "Invitation")),
        params=lambda w: {"invitation_id": w.invitation_a.id},
    ),
    # --- volunteers: everyone's own profile (staff may have one too)
    "volunteers.edit_profile": Route(
        "/mein-engagement/profil",
        get=logged_in(OK),
        post=logged_in(
            done(
                "/mein-engagement/profil",
                "VolunteerProfile",
                "ReachableCentre",
                "AvailabilityWindow",
            )
        ),
        form=lambda w: {
            "open_to_anything": "y",
            "centre_ids": str(w.centre_a.id),
            "windows-0-weekday": "1",
            "windows-0-start": "14:00",
            "windows-0-end": "18:00",
            "max_per_week": "2",
            "max_per_month": "6",
            "languages": "de",
            "reminder_hours": "24",
        },
    ),
    # --- activities: planning (centre A's activity, schedule, slot and own category)
    "activities.categories": Route(
        "/zentren/<slug>/kategorien",
        get=own_centre(OK),
        post=own_centre(done("/zentren/zentrum-a/kategorien", "Category")),
        params=_slug_a,
        form=lambda w: {"name": "Begleitung"},
    ),
    "activities.delete_category": Route(
        "/zentren/<slug>/kategorien/<int:category_id>/entfernen",
        post=own_centre(done("/zentren/zentrum-a/kategorien", "Category")),
        params=lambda w: {"slug": w.centre_a.slug, "category_id": authz_planning(w).category.id},
    ),
    "activities.list_activities": Route(
        "/zentren/<slug>/angebote/", get=own_centre(OK), params=_slug_a
    ),
    "activities.create_activity": Route(
        "/zentren/<slug>/angebote/neu",
        get=own_centre(OK),
        post=own_centre(Expect((302,), changes=frozenset({"Activity"}))),
        params=authz_centre_a,
        form=authz_activity_form,
    ),
    "activities.show_activity": Route(
        "/zentren/<slug>/angebote/<int:activity_id>",
        get=own_centre(OK),
        params=lambda w: {"slug": w.centre_a.slug, "activity_id": authz_planning(w).activity.id},
    ),
    "activities.edit_activity": Route(
        "/zentren/<slug>/angebote/<int:activity_id>/bearbeiten",
        get=own_centre(OK),
        post=own_centre(Expect((302,), changes=frozenset({"Activity"}))),
        params=lambda w: {"slug": w.centre_a.slug, "activity_id": authz_planning(w).activity.id},
        form=authz_activity_form,
    ),
    "activities.add_schedule": Route(
        "/zentren/<slug>/angebote/<int:activity_id>/termine/neu",
        get=own_centre(OK),
        post=own_centre(Expect((302,), changes=frozenset({"Series", "Slot"}))),
        params=lambda w: {"slug": w.centre_a.slug, "activity_id": authz_planning(w).activity.id},
        form=authz_schedule_form,
    ),
    "activities.edit_slot": Route(
        "/termine/<int:slot_id>/bearbeiten",
        get=own_centre(OK),
        post=own_centre(Expect((302,), changes=frozenset({"Slot"}))),
        params=lambda w: {"slot_id": authz_planning(w).slot.id},
        form=authz_slot_form,
    ),
    "activities.edit_following": Route(
        "/termine/<int:slot_id>/folgende-bearbeiten",
        get=own_centre(OK),
        post=own_centre(Expect((302,), changes=frozenset({"Series", "Slot"}))),
        params=lambda w: {"slot_id": authz_planning(w).slot.id},
        form=lambda w: authz_schedule_form(w, prefix="following-"),
    ),
    "activities.cancel_slot": Route(
        "/termine/<int:slot_id>/absagen",
        get=own_centre(OK),
        post=own_centre(Expect((302,), changes=frozenset({"Slot", "AuditEntry"}))),
        params=lambda w: {"slot_id": authz_planning(w).slot.id},
    ),
    # --- signups: the volunteer pages (every logged-in person signs up only themself)
    "signups.browse": Route("/termine/", get=logged_in(OK)),
    "signups.my_slots": Route("/meine-termine", get=logged_in(OK)),
    "signups.show_slot": Route("/termine/<int:slot_id>", get=logged_in(OK), params=authz_slot_a),
    "signups.sign_up": Route(
        "/termine/<int:slot_id>/anmelden",
        post=logged_in(Expect((302,), changes=frozenset({"Signup", "Slot", "OutboxMessage"}))),
        params=authz_slot_a,
    ),
    "signups.cancel": Route(
        "/termine/<int:slot_id>/abmelden",
        post=logged_in(
            Expect((302,), changes=frozenset({"Signup", "Slot", "OutboxMessage", "AuditEntry"}))
        ),
        params=authz_slot_a,
        prepare=authz_signed_up,
    ),
    # --- coordination: the centre desk (centre A's roster, checks and log)
    "coordination.dashboard": Route(
        "/zentren/<slug>/planung", get=own_centre(OK), params=authz_centre
    ),
    "coordination.roster": Route(
        "/termine/<int:slot_id>/besetzung", get=own_centre(OK), params=authz_slot
    ),
    "coordination.roster_print": Route(
        "/termine/<int:slot_id>/besetzung/drucken", get=own_centre(OK), params=authz_slot
    ),
    "coordination.roster_export": Route(
        "/termine/<int:slot_id>/besetzung.csv", get=own_centre(OK), params=authz_slot
    ),
    "coordination.assign": Route(
        "/termine/<int:slot_id>/besetzung/zuweisen",
        post=own_centre(DESK_SIGNUP_CHANGE),
        params=authz_slot,
        form=lambda w: {"volunteer_id": str(authz_desk(w).newcomer.id)},
    ),
    "coordination.unassign": Route(
        "/termine/<int:slot_id>/besetzung/<int:signup_id>/entfernen",
        # The freed place goes to the first on the waiting list: the slot's count stays.
        post=own_centre(DESK_SIGNUP_ONLY),
        params=authz_signup("confirmed"),
    ),
    "coordination.approve": Route(
        "/termine/<int:slot_id>/besetzung/<int:signup_id>/bestaetigen",
        post=own_centre(DESK_SIGNUP_CHANGE),
        params=authz_signup("pending"),
    ),
    "coordination.decline": Route(
        "/termine/<int:slot_id>/besetzung/<int:signup_id>/ablehnen",
        post=own_centre(DESK_SIGNUP_ONLY),
        params=authz_signup("pending"),
    ),
    "coordination.promote": Route(
        "/termine/<int:slot_id>/besetzung/<int:signup_id>/nachruecken",
        post=own_centre(DESK_SIGNUP_CHANGE),
        params=authz_signup("waiting"),
    ),
    "coordination.attendance": Route(
        "/termine/<int:slot_id>/besetzung/anwesenheit",
        post=own_centre(Expect((302,), changes=frozenset({"Signup", "AuditEntry"}))),
        params=lambda w: {"slot_id": authz_desk(w).past.id},
        form=lambda w: {
            "rows-0-signup_id": str(authz_desk(w).past_signup.id),
            "rows-0-attendance": "attended",
            "rows-0-hours": "2",
        },
    ),
    "coordination.change_capacity": Route(
        "/termine/<int:slot_id>/besetzung/plaetze",
        # Raising the number fills the free place from the waiting list.
        post=own_centre(DESK_SIGNUP_CHANGE),
        params=authz_slot,
        form=lambda w: {"capacity": "3"},
    ),
    "coordination.volunteers": Route(
        "/zentren/<slug>/ehrenamtliche", get=own_centre(OK), params=authz_centre
    ),
    "coordination.volunteer_checks": Route(
        "/zentren/<slug>/ehrenamtliche/<int:user_id>", get=own_centre(OK), params=authz_volunteer
    ),
    "coordination.record_certificate": Route(
        "/zentren/<slug>/ehrenamtliche/<int:user_id>/fuehrungszeugnis",
        post=own_centre(Expect((302,), changes=frozenset({"CertificateCheck", "AuditEntry"}))),
        params=authz_volunteer,
        form=lambda w: {"certificate_date": _day(-20), "inspected_on": _day(-1), "eligible": "yes"},
    ),
    "coordination.record_measles": Route(
        "/zentren/<slug>/ehrenamtliche/<int:user_id>/masernschutz",
        post=own_centre(Expect((302,), changes=frozenset({"MeaslesProof", "AuditEntry"}))),
        params=authz_volunteer,
        form=lambda w: {"shown_on": _day(-1), "proof_ok": "yes"},
    ),
    "coordination.certificate_letter": Route(
        "/zentren/<slug>/ehrenamtliche/<int:user_id>/bestaetigung",
        get=own_centre(OK),
        params=authz_volunteer,
    ),
    "coordination.audit_log": Route(
        "/zentren/<slug>/protokoll", get=own_centre(OK), params=authz_centre
    ),
}


def _feature_routes() -> dict[str, Route]:
    """Entries kept beside their feature: ``tests/authz_routes_<feature>.py``.

    Each such module has ``routes(m)``, called with this module so that it can use ``Route``,
    ``Expect`` and the role helpers above, and returns its part of the matrix.
    """
    import importlib
    import pathlib
    import sys

    found: dict[str, Route] = {}
    for path in sorted(pathlib.Path(__file__).parent.glob("authz_routes_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        for endpoint, route in module.routes(sys.modules[__name__]).items():
            assert endpoint not in MATRIX and endpoint not in found, f"{endpoint} twice"
            found[endpoint] = route
    return found


MATRIX.update(_feature_routes())

# Not routes anyone decides about: Flask's own file server.
IGNORED_ENDPOINTS = {"static"}


# --- Helpers -------------------------------------------------------------------------------


def _url(app, endpoint: str, params: dict, method: str) -> str:
    """Build the URL and make sure it really reaches ``endpoint``."""
    adapter = app.url_map.bind("localhost")
    url = adapter.build(endpoint, params)
    reached, _args = adapter.match(url, method=method)
    assert reached == endpoint, f"{url} reaches {reached}, not {endpoint}"
    return url


def _form(route: Route, world: World, method: str) -> dict | None:
    return route.form(world) if method == "POST" else None


def _login(login_as, world: World, role: str):
    user = world.user(role)
    return login_as(user) if user is not None else None


def _check_answer(response, expect: Expect, what: str) -> None:
    assert response.status_code in expect.status, (
        f"{what}: got {response.status_code} (Location {response.headers.get('Location')}), "
        f"expected {expect}"
    )
    if expect.location is not None:
        target = urlparse(response.headers.get("Location", ""))
        assert target.path == expect.location, f"{what}: redirected to {target.path}"


def _check_nothing_foreign_changed(before, after, world: World, actor, route: Route, what: str):
    """Centre B and other people's accounts are never touched by a request about centre A."""
    b = world.centre_b.id
    assert rows_of_centre(after, b) == rows_of_centre(before, b), f"{what} changed centre B"
    allowed = {actor.id} if actor is not None else set()
    if route.also_changes_user:
        allowed.add(world.user(route.also_changes_user).id)
    for pk, row in before["User"].items():
        if pk not in allowed:
            assert after["User"].get(pk) == row, f"{what} changed the account of user {pk}"


def _hidden_links(role: str) -> list[str]:
    """Doors a role must not even be shown: links to pages that would refuse it."""
    links = []
    if role not in ("coordinator_a", "admin"):
        links.append(f'href="{EDIT_A}')
    if role != "admin":
        links.append(f'href="{DASHBOARD}')
    return links


def _check_no_leak(response, world: World, role: str, what: str) -> None:
    if response.status_code != 200:
        return
    body = response.get_data(as_text=True).lower()
    hidden = [*world.hidden_from(role), *_hidden_links(role)]
    shown_ = [text for text in hidden if text.lower() in body]
    assert not shown_, f"{what} shows {shown_}"


# --- The world: built once, copied (SQLite) or put back (PostgreSQL) for each case ----------


@pytest.fixture(scope="session")
def world_template(sqlite_template, tmp_path_factory) -> tuple[str, WorldRows]:
    """A migrated SQLite file with the world in it, and the world's rows (once per worker:
    with ``--dist worksteal`` a module's tests need not run in one go, and a module-scoped
    world was built again each time they came back)."""
    path = tmp_path_factory.mktemp("authz") / "world.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_fast_hashing(monkeypatch)
        with create_app(TestingConfig, DATABASE_URL=url).app_context():
            database = make_database(url)
            db.initialize(database)
            with db.connection_context():
                rows = world_rows(build_world())
                db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            database.close()
    return str(path), rows


@pytest.fixture(scope="session")
def logged_template(world_template, tmp_path_factory) -> tuple[str, Snapshot, WriteLog]:
    """The world's file again, with ``tests/write_log.py``'s triggers in it (nothing noted
    yet), the snapshot of its rows and the log that reads what the triggers note: each case
    reads only the tables written since (``Rows``), not every table before and after."""
    path = tmp_path_factory.mktemp("authz") / "logged.db"
    shutil.copy(world_template[0], path)
    url = f"sqlite:///{path}"
    with create_app(TestingConfig, DATABASE_URL=url).app_context():
        database = make_database(url)
        db.initialize(database)
        with db.connection_context():
            log = WriteLog(db).__enter__()  # left in place: the file is only ever copied
            base = snapshot()
            db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        database.close()
    return str(path), base, log


@pytest.fixture
def database_url(request, backend) -> str:
    """This module's tests start from the world: a copy of it on SQLite (PostgreSQL puts it
    into the emptied tables in ``world``)."""
    if backend == "sqlite":
        template = request.getfixturevalue("logged_template")[0]
        return request.getfixturevalue("sqlite_copy")(template)
    return request.getfixturevalue("pg_database")


@pytest.fixture
def rows(request, app, backend) -> Rows:
    """The rows of every table, now (``rows.now()``): on SQLite from the template's snapshot
    and its triggers' notes, on PostgreSQL read in full each time (its database is shared by
    every test of the worker, so triggers would have to go in and out with each test)."""
    if backend == "sqlite":
        _path, base, log = request.getfixturevalue("logged_template")
        return Rows(base, log)
    return Rows(None)


# PostgreSQL: the database's state after the first ``build_world`` of this process, by URL
# (None: the connection may not restore it, so the factories build it every time).
_SAVED_PG: dict[str, SavedWorld | None] = {}


@pytest.fixture
def world(request, app, backend, monkeypatch) -> World:
    """The world's objects, made from its saved rows (no query; fresh instances each test).

    On PostgreSQL the factories build the world once per process; after that one script
    (``restore_pg_world``) writes the very same rows into the tables ``app`` emptied."""
    use_fast_hashing(monkeypatch)
    if backend == "sqlite":
        return rehydrate(request.getfixturevalue("world_template")[1])
    url = app.config["DATABASE_URL"]
    if url not in _SAVED_PG:
        built = build_world()
        _SAVED_PG[url] = save_pg_world(built) if restorable_pg() else None
        if _SAVED_PG[url] is None:
            return built
        return rehydrate(_SAVED_PG[url].rows)
    saved = _SAVED_PG[url]
    return build_world() if saved is None else restore_pg_world(saved)


CASES = [
    pytest.param(endpoint, role, method, id=f"{endpoint}-{role}-{method}")
    for endpoint, route in MATRIX.items()
    for method in sorted(route.methods())
    for role in ROLES
]


# --- Tests ---------------------------------------------------------------------------------


def test_every_route_is_in_the_matrix(app):
    """A new route, a new method on a route, or a changed URL needs a decision here first."""
    seen, problems = set(), []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        route = MATRIX.get(rule.endpoint)
        if route is None:
            problems.append(f"{rule.rule} ({rule.endpoint}) has no MATRIX entry: who may use it?")
            continue
        if rule.endpoint in seen:
            problems.append(f"{rule.endpoint} has more than one rule: add each to the matrix")
        seen.add(rule.endpoint)
        if rule.rule != route.rule:
            problems.append(f"{rule.endpoint} is now at {rule.rule}, the matrix says {route.rule}")
        methods = set(rule.methods) - {"HEAD", "OPTIONS"}
        if methods != route.methods():
            problems.append(
                f"{rule.endpoint} accepts {sorted(methods)}, the matrix covers "
                f"{sorted(route.methods())}"
            )
    problems += [f"{e} is in the matrix but no longer a route" for e in set(MATRIX) - seen]
    assert not problems, "\n".join(problems)


def test_matrix_states_every_role_and_refusals_change_nothing():
    for endpoint, route in MATRIX.items():
        for method in route.methods():
            expectations = getattr(route, method.lower())
            assert set(expectations) == set(ROLES), f"{endpoint} {method}: roles missing"
            for role, expect in expectations.items():
                where = f"{endpoint} {method} as {role}"
                if method == "GET" or expect.refused:
                    assert not expect.changes, f"{where} may not change anything"
                if expect.refused:
                    # 401: the JSON API without a token (a session never authorises it).
                    refusals = (302, 400, 401, 403, 404, 410)
                    assert all(code in refusals for code in expect.status), where
    # The roles the security baseline names are all in the matrix.
    assert ROLES == ("anonymous", "volunteer", "coordinator_a", "coordinator_b", "admin")


def _postgres_roles(route: Route, method: str) -> set[str]:
    """On PostgreSQL the matrix runs one allowed and one refused role per route and method
    (the full role set runs on SQLite): enough to prove the database side, at a fifth of
    the cost."""
    expectations = getattr(route, method.lower())
    allowed = [r for r in ROLES if not expectations[r].refused]
    refused = [r for r in ROLES if expectations[r].refused]
    # The most privileged allowed role and the least privileged refused one that is logged in.
    logged_in_refused = [r for r in refused if r != "anonymous"]
    return {*allowed[-1:], *(logged_in_refused or refused)[:1]}


def on_postgres(params: dict) -> bool:
    """Which parametrized cases of this module also run on PostgreSQL (see conftest)."""
    if "role" not in params or "endpoint" not in params or "method" not in params:
        return True
    route = MATRIX[params["endpoint"]]
    return params["role"] in _postgres_roles(route, params["method"])


@pytest.mark.parametrize(("endpoint", "role", "method"), CASES)
def test_route_as_role(app, client, login_as, world, rows, endpoint, role, method):
    route = MATRIX[endpoint]
    expect = getattr(route, method.lower())[role]
    actor = world.user(role)
    _login(login_as, world, role)
    if route.prepare is not None:
        route.prepare(client, world)
    url = _url(app, endpoint, route.params(world), method)
    what = f"{method} {url} as {role}"

    before = rows.now()
    response = client.open(url, method=method, data=_form(route, world, method))
    after = rows.now()

    _check_answer(response, expect, what)
    assert changed_tables(before, after) == set(expect.changes), (
        f"{what}: changed {sorted(changed_tables(before, after))}, expected {expect}"
    )
    _check_nothing_foreign_changed(before, after, world, actor, route, what)
    _check_no_leak(response, world, role, what)


# --- Editing an id in the URL: centre B's slug with centre A's objects, and unknown ids ------

SWAPPED = [
    # An object of one centre under the address of the other ("a"/"b": see _resolve).
    ("centres.remove_closing_day", "coordinator_b", lambda w: {"slug": "zentrum-b", "day_id": "a"}),
    ("centres.remove_closing_day", "coordinator_a", lambda w: {"slug": "zentrum-a", "day_id": "b"}),
    ("centres.remove_closing_day", "admin", lambda w: {"slug": "zentrum-b", "day_id": "a"}),
    ("admin.remove_coordinator", "admin", lambda w: {"slug": "zentrum-b", "user_id": "a"}),
    ("admin.remove_coordinator", "admin", lambda w: {"slug": "zentrum-a", "user_id": "b"}),
]


def _resolve(world: World, params: dict) -> dict:
    """``"a"``/``"b"`` stand for the object of that centre the parameter names."""
    objects = {
        "day_id": {"a": world.day_a, "b": world.day_b},
        "user_id": {"a": world.coordinator_a, "b": world.coordinator_b},
    }
    return {k: objects[k][v].id if k in objects else v for k, v in params.items()}


@pytest.mark.parametrize(
    ("endpoint", "role", "params"),
    [pytest.param(*case, id=f"{case[0]}-{case[1]}-{i}") for i, case in enumerate(SWAPPED)],
)
def test_object_of_another_centre_under_this_centres_address_is_not_found(
    app, client, login_as, world, rows, endpoint, role, params
):
    login_as(world.user(role))
    url = _url(app, endpoint, _resolve(world, params(world)), "POST")
    before = rows.now()
    response = client.post(url, data=MATRIX[endpoint].form(world))
    assert response.status_code == 404, f"POST {url} as {role}: {response.status_code}"
    assert changed_tables(before, rows.now()) == set()


def _path_args(rule: str) -> dict[str, str]:
    """``{name: converter}`` of a rule's path parameters (the matrix's rules are checked
    against ``app.url_map`` above, so this needs no app at collection time)."""
    return {name: conv or "default" for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule)}


UNKNOWN_CASES = [
    pytest.param(endpoint, arg, method, id=f"{endpoint}-{arg}-{method}")
    for endpoint, route in MATRIX.items()
    for arg in sorted(_path_args(route.rule))
    if arg != "token"  # an unknown token is already what the matrix sends
    for method in sorted(route.methods())
    # The JSON API refuses the session before it looks anything up (tests/test_api.py has
    # its unknown ids, with tokens).
    if 401 not in getattr(route, method.lower())["admin"].status
]


@pytest.mark.parametrize(("endpoint", "arg", "method"), UNKNOWN_CASES)
def test_unknown_id_is_not_found_even_for_admins(
    app, client, login_as, world, rows, endpoint, arg, method
):
    """The admin may do everything, so a refusal here can only come from the missing object."""
    login_as(world.admin)
    route = MATRIX[endpoint]
    params = route.params(world)
    params[arg] = 999_999 if _path_args(route.rule)[arg] == "int" else "gibt-es-nicht"
    url = _url(app, endpoint, params, method)
    before = rows.now()
    response = client.open(url, method=method, data=_form(route, world, method))
    assert response.status_code == 404, f"{method} {url}: {response.status_code}"
    assert changed_tables(before, rows.now()) == set()


def test_coordinator_cannot_smuggle_admin_fields_into_the_centre_form(app, client, login_as, world):
    """The operator and web address are the admins' to change: extra form fields are ignored."""
    login_as(world.coordinator_a)
    form = _centre_form(world) | {"slug": "gekapert", "operator_id": str(world.operator_b.id)}
    response = client.post(EDIT_A, data=form)
    assert response.status_code == 302
    assert urlparse(response.headers["Location"]).path == EDIT_A
    centre = Centre.get_by_id(world.centre_a.id)
    assert (centre.name, centre.slug) == ("Zentrum A am Anger", "zentrum-a")
    assert centre.operator_id == world.operator_a.id
