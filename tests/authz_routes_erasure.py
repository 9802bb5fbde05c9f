"""Authorization matrix entries of "delete my account" and its "keep" link (see
test_authz_matrix.py). In the matrix's world each coordinator is the only one of their
centre and the admin the only admin: they are shown why they cannot leave yet, and
nothing changes."""

from __future__ import annotations

import pyotp

from tests.factories import PASSWORD
from tests.factories_accounts import TOTP_SECRET


def _form(w) -> dict:
    return {"password": PASSWORD, "code": pyotp.TOTP(TOTP_SECRET).now()}


def routes(m) -> dict:
    scheduled = m.done(m.HOME, "DeletionRequest", "User", "OutboxMessage")
    return {
        "erasure.delete_account": m.Route(
            "/konto/loeschen",
            get=m.logged_in(m.OK),
            post=m.logged_in(m.OK, volunteer=scheduled),
            form=_form,
        ),
        "erasure.keep_account": m.Route(
            "/konto/behalten/<token>",
            get=m.everyone(m.BAD_LINK),
            post=m.everyone(m.BAD_LINK),
            params=lambda w: {"token": m.UNKNOWN_TOKEN},
        ),
    }
