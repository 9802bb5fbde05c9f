"""Authorization matrix entries of "Meine Daten" and "Meine Einwilligungen" (see
tests/test_authz_matrix.py).

Every page is about the person logged in: there is no id of anyone else to edit. The one id
in a URL, a wish's, only reaches the wish that carries the person's own (confirmed) address:
the volunteer's; for everybody else it is not found. Reminders are a volunteer's setting.
"""

from __future__ import annotations

import time

from tests.factories import PASSWORD
from tests.factories_wishes import make_wish
from volunteer_app.db import utcnow

CONSENTS = "/konto/einwilligungen"
REAUTHENTICATE = "/konto/passwort-bestaetigen"


def _wish(w) -> dict:
    found = getattr(w, "_privacy_wish", None)
    if found is None:
        found = make_wish(
            w.centre_a,
            title="Vorlesen am Abend",
            email=w.volunteer.email,
            email_consent_at=utcnow(),
        )
        w._privacy_wish = found
    return {"wish_id": found.id}


def _password_long_ago(client, w) -> None:
    with client.session_transaction() as sess:
        sess["auth_at"] = time.time() - 3600


def _volunteer_only(m, volunteer) -> dict:
    return {**dict.fromkeys(m.ROLES, m.NOT_YOURS), "anonymous": m.TO_LOGIN, "volunteer": volunteer}


def routes(m) -> dict:
    # The volunteer's account is deleted after the grace period: the request, the mail saying
    # so, every session ended (User), the consent marked withdrawn. Staff here are the last
    # coordinator of their centre or the last admin: the page says what to do, nothing changes.
    deletion = m.done(m.HOME, "Consent", "DeletionRequest", "OutboxMessage", "User")
    return {
        "privacy.my_data": m.Route("/konto/meine-daten", get=m.logged_in(m.OK)),
        # The matrix reads answers as text, so it sees the download's door, not the ZIP (that
        # is tests/test_privacy_export.py): a password entered long ago sends everyone back.
        "privacy.download": m.Route(
            "/konto/meine-daten/herunterladen",
            get=m.logged_in(m.done(REAUTHENTICATE)),
            prepare=_password_long_ago,
        ),
        "privacy.consents": m.Route(CONSENTS, get=m.logged_in(m.OK)),
        "privacy.withdraw_setting": m.Route(
            "/konto/einwilligungen/<slug>/widerrufen",
            get=_volunteer_only(m, m.OK),
            post=_volunteer_only(m, m.done(CONSENTS, "VolunteerProfile", "Consent")),
            params=lambda w: {"slug": "erinnerungen"},
        ),
        "privacy.withdraw_wish_answer": m.Route(
            "/konto/einwilligungen/wunsch/<int:wish_id>/widerrufen",
            get=_volunteer_only(m, m.OK),
            post=_volunteer_only(m, m.done(CONSENTS, "Wish", "Consent")),
            params=_wish,
        ),
        "privacy.withdraw_privacy": m.Route(
            "/konto/einwilligungen/datenschutz/widerrufen",
            get=m.logged_in(m.OK),
            post=m.logged_in(m.OK, volunteer=deletion),
            form=lambda w: {"password": PASSWORD},
        ),
        # Everyone of the matrix agreed to the notice in force: nothing to ask, on you go.
        "privacy.renew_consent": m.Route(
            "/konto/datenschutz-zustimmung",
            get=m.logged_in(m.done(m.HOME)),
            post=m.logged_in(m.done(m.HOME)),
            form=lambda w: {"agree": "y"},
        ),
    }
