"""Authorization matrix entries of importing lists and exporting activities (imports/)."""

from __future__ import annotations

import datetime as dt
import io

from volunteer_app.db import utcnow

IMPORT_A = "/zentren/zentrum-a/import"
LIST = "Name;E-Mail\nNeu Person;neu.person@example.org\n"


class _Upload(io.BytesIO):
    """A file the test client may send more than once (the fuzzer reuses the form)."""

    def close(self) -> None:
        self.seek(0)


def _file(w) -> dict:
    return {"kind": "volunteers", "locale": "de", "file": (_Upload(LIST.encode()), "liste.csv")}


def _sealed(w) -> dict:
    """The mapping form of centre A's upload: sealed for centre A, columns chosen."""
    from volunteer_app.imports import services
    from volunteer_app.imports.files import read_table

    table = read_table(LIST.encode(), "liste.csv", max_rows=10)
    token = services.seal(services.Upload(w.centre_a.id, "volunteers", table, "de"))
    return {"token": token, "columns-0": "name", "columns-1": "email"}


def _invitation(w):
    found = getattr(w, "_import_invitation", None)
    if found is None:
        from volunteer_app.imports.models import ImportInvitation

        now = utcnow()
        found = ImportInvitation.create(
            centre=w.centre_a,
            email="eingeladen@example.org",
            name="Eingeladene Person",
            token_hash="2" * 64,
            created_at=now,
            expires_at=now + dt.timedelta(days=14),
        )
        w._import_invitation = found
    return found


def routes(m) -> dict:
    slug_a = lambda w: {"slug": w.centre_a.slug}  # noqa: E731
    return {
        "imports.upload": m.Route(
            "/zentren/<slug>/import",
            get=m.own_centre(m.OK),
            # The mapping page: nothing is written before the confirmation.
            post=m.own_centre(m.OK),
            params=slug_a,
            form=_file,
        ),
        "imports.preview": m.Route(
            "/zentren/<slug>/import/vorschau",
            post=m.own_centre(m.OK),
            params=slug_a,
            form=_sealed,
        ),
        "imports.confirm": m.Route(
            "/zentren/<slug>/import/uebernehmen",
            post=m.own_centre(m.done(IMPORT_A, "ImportInvitation", "OutboxMessage")),
            params=slug_a,
            form=_sealed,
        ),
        "imports.withdraw": m.Route(
            "/zentren/<slug>/import/einladungen/<int:invitation_id>/zurueckziehen",
            post=m.own_centre(m.done(IMPORT_A, "ImportInvitation")),
            params=lambda w: {"slug": w.centre_a.slug, "invitation_id": _invitation(w).id},
        ),
        "imports.export_activities": m.Route(
            "/zentren/<slug>/angebote.csv",
            get=m.own_centre(m.OK),
            params=slug_a,
        ),
        # The link is the proof: an unknown token is not found, whoever asks.
        "imports.accept": m.Route(
            "/einladung/mitmachen/<token>",
            get=m.everyone(m.NO_INVITATION),
            post=m.everyone(m.NO_INVITATION),
            params=m._token,
            form=lambda w: {"name": "X", "password": "lange sichere Passphrase 42", "consent": "y"},
        ),
    }
