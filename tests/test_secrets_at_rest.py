"""Secrets at rest: a database dump or backup alone gives no working secret (issue 10, part 7).

One-time links are stored as hashes, the TOTP secret encrypted under a key derived from
SECRET_KEY (with a key id, so that a rotation works through SECRET_KEY_FALLBACKS and
``flask db reencrypt-secrets``), and the session cookie carries an HMAC of the per-user
session token rather than the token. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import time
from pathlib import Path

import peewee as pw
import pyotp
import pytest
from playhouse.migrate import SchemaMigrator

from tests.factories import make_user
from tests.factories_accounts import (
    NEW_PASSWORD,
    PASSWORD,
    TOTP_SECRET,
    code_after_now,
    fresh,
    link_in,
    login,
    mails_to,
    make_totp_user,
    no_timing_floor,
    use_english,
    use_fast_hashing,
)
from tests.factories_centres import make_invitation
from tests.factories_feeds import link_of
from tests.factories_proposals import (
    make_activity,
    make_centre,
    make_coordinator,
    make_volunteer,
    next_weekday,
    proposals_of,
    slot_on,
)
from volunteer_app.accounts import services as account_services
from volunteer_app.common import crypto
from volunteer_app.db import db
from volunteer_app.models import all_models
from volunteer_app.proposals import services as proposal_services

MIGRATION = Path(__file__).resolve().parent.parent / "migrations" / "0017_encrypted_totp_secrets.py"
OLD_KEY = "testing-secret"  # TestingConfig's SECRET_KEY
NEW_KEY = "a-new-secret-key-after-the-rotation-0123456789"


@pytest.fixture(autouse=True)
def _setup(app, client, monkeypatch):
    no_timing_floor(app)
    use_english(client)
    use_fast_hashing(monkeypatch)


def _raw_totp(user_id: int) -> str | None:
    """The column as stored, without the model's decryption."""
    table = pw.Table("user", ("id", "totp_secret")).bind(db)
    return table.select(table.totp_secret).where(table.id == user_id).scalar()


def _dump() -> str:
    """Every row of every table as text: what a backup holds (the outbox aside, see below)."""
    lines = []
    for table in sorted(db.get_tables()):
        # Mail bodies carry links until they are sent; clearing them is the retention
        # job's work (issue 10, part 4), tested there.
        if table == "outbox_message":
            continue
        cursor = db.execute_sql(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the database)
        lines.extend(f"{table}: {row!r}" for row in cursor.fetchall())
    return "\n".join(lines)


def _forms(secret: str) -> set[str]:
    """A secret and the spellings someone reading a dump would try."""
    plain = re.sub(r"[\s-]", "", secret)
    return {secret, plain, plain.lower(), plain.upper()}


def _session_user_id(client) -> str:
    with client.session_transaction() as sess:
        return sess["_user_id"]


def _invited_proposal_token(coordinator_email: str = "clara@example.org") -> str:
    centre = make_centre(name="Zentrum Linde", slug="linde")
    coordinator = make_coordinator(centre, name="Clara Koordinatorin", email=coordinator_email)
    activity = make_activity(centre, title="Vorlesestunde", volunteers_needed=1)
    day = next_weekday(1)
    slot_on(activity, day)
    make_volunteer(centre, name="Paula Probe", email="paula@example.org")
    run = proposal_services.start_run(
        centre,
        operator_wide=False,
        period_from=day,
        period_to=day,
        actor=coordinator,
    )
    proposal = proposals_of(run)[0]
    proposal_services.confirm_proposals(run, [proposal.id], direct=False, actor=coordinator)
    mail = mails_to("paula@example.org")[-1]
    return link_in(mail, "/termin-einladung/").rsplit("/", 1)[1]


# --- The dump ----------------------------------------------------------------------------------


def test_a_database_dump_contains_no_working_secret(app, client, conn, login_as):
    # A volunteer switches TOTP on through the pages and gets recovery codes.
    tanja = make_user(email="tanja@example.org", name="Tanja Test")
    login_as(tanja)
    client.get("/konto/zwei-faktor/einrichten")
    with client.session_transaction() as sess:
        totp_secret = sess["totp_pending"]
    page = client.post(
        "/konto/zwei-faktor/einrichten", data={"code": pyotp.TOTP(totp_secret).now()}
    )
    recovery_codes = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", page.get_data(as_text=True))
    assert len(recovery_codes) == 10 and fresh(tanja).has_totp

    # A password-reset link, a coordinator invitation, a matching invitation, a feed link.
    make_user(email="rita@example.org", name="Rita Reset")
    account_services.request_password_reset("rita@example.org")
    reset_token = link_in(mails_to("rita@example.org")[-1], "/konto/passwort-neu/").rsplit("/", 1)[
        1
    ]
    _invitation, invitation_token = make_invitation(make_centre(), "nina@example.org")
    proposal_token = _invited_proposal_token()
    _link, feed_token = link_of(tanja)

    # A real login: what the session cookie carries.
    client.post("/konto/abmelden")
    ulla = make_user(email="ulla@example.org", name="Ulla Login")
    assert login(client, "ulla@example.org").status_code == 302
    cookie_id = _session_user_id(client)

    secrets_ = {
        "TOTP secret": totp_secret,
        "reset link": reset_token,
        "invitation link": invitation_token,
        "matching invitation link": proposal_token,
        "feed link": feed_token,
        "session id in the cookie": cookie_id.split(":", 1)[1],
    }
    secrets_.update({f"recovery code {c}": c for c in recovery_codes})
    dump = _dump()
    assert "Tanja Test" in dump and "Ulla Login" in dump  # the dump does hold the data
    for what, secret in secrets_.items():
        for form in _forms(secret):
            assert form not in dump, f"{what} readable in the database"
    # The stored session token alone does not make a session id that logs anyone in.
    assert fresh(ulla).session_token not in cookie_id

    # And everything still works: the second factor verifies, the links open, the login holds.
    account_services.verify_totp(tanja, code_after_now(totp_secret))
    assert client.get("/konto/").status_code == 200
    assert client.get(f"/konto/passwort-neu/{reset_token}").status_code == 200
    assert client.get(f"/termin-einladung/{proposal_token}").status_code == 200
    assert client.get(f"/kalender/{feed_token}.ics").status_code == 200


def test_the_totp_secret_is_stored_encrypted_under_the_keys_id(conn):
    user = make_totp_user()
    raw = _raw_totp(user.id)
    assert raw.startswith(f"v1${crypto.key_id(OLD_KEY)}$")
    assert TOTP_SECRET not in raw and TOTP_SECRET.lower() not in raw.lower()
    assert fresh(user).totp_secret == TOTP_SECRET
    # The same secret encrypts differently each time (random nonce), so equal secrets
    # cannot be spotted in a dump.
    other = make_totp_user(email="zweite@example.org")
    assert _raw_totp(other.id) != raw
    account_services.verify_totp(user, code_after_now())


def test_a_secret_copied_to_another_column_does_not_open(conn):
    value = crypto.encrypt(TOTP_SECRET, OLD_KEY, "user.totp_secret")
    assert crypto.decrypt(value, [OLD_KEY], "user.totp_secret") == TOTP_SECRET
    with pytest.raises(crypto.UndecryptableSecret):
        crypto.decrypt(value, [OLD_KEY], "other.column")
    tampered = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    with pytest.raises(crypto.UndecryptableSecret):
        crypto.decrypt(tampered, [OLD_KEY], "user.totp_secret")
    with pytest.raises(crypto.UndecryptableSecret):
        crypto.decrypt(TOTP_SECRET, [OLD_KEY], "user.totp_secret")  # plain text is refused


# --- Rotation ----------------------------------------------------------------------------------


def test_rotation_old_key_in_fallbacks_decrypts_and_the_command_moves_to_the_new_key(
    app, conn, runner, caplog
):
    user = make_totp_user()
    old_raw = _raw_totp(user.id)

    # New key, old one forgotten: the secret no longer opens (and nothing crashes).
    app.config["SECRET_KEY"] = NEW_KEY
    with caplog.at_level(logging.WARNING, logger="volunteer_app.common.crypto"):
        assert fresh(user).totp_secret is None
    assert "user.totp_secret" in caplog.text and TOTP_SECRET not in caplog.text
    with pytest.raises(account_services.InvalidCode):
        account_services.verify_totp(user, code_after_now())
    refused = runner.invoke(args=["db", "reencrypt-secrets"])
    assert refused.exit_code == 1
    assert f"users {user.id}" in refused.output and "SECRET_KEY_FALLBACKS" in refused.output
    assert _raw_totp(user.id) == old_raw  # nothing was touched

    # With the old key among the fallbacks it opens again, still under the old key id …
    app.config["SECRET_KEY_FALLBACKS"] = [OLD_KEY]
    assert fresh(user).totp_secret == TOTP_SECRET
    assert crypto.stored_key_id(_raw_totp(user.id)) == crypto.key_id(OLD_KEY)

    # … and the command moves it to the new key.
    moved = runner.invoke(args=["db", "reencrypt-secrets"])
    assert moved.exit_code == 0, moved.output
    assert "Re-encrypted 1 secret(s)" in moved.output
    assert crypto.stored_key_id(_raw_totp(user.id)) == crypto.key_id(NEW_KEY)

    # The old key can go; the secret opens and the second factor verifies.
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert fresh(user).totp_secret == TOTP_SECRET
    account_services.verify_totp(user, code_after_now())
    again = runner.invoke(args=["db", "reencrypt-secrets"])
    assert again.exit_code == 0 and "Re-encrypted 0 secret(s)" in again.output
    assert "1 already were" in again.output


def test_fallback_keys_come_from_the_environment(monkeypatch):
    import config

    monkeypatch.setenv("SECRET_KEY_FALLBACKS", " old-key-2 ,old-key-1,, ")
    assert config._list("SECRET_KEY_FALLBACKS") == ["old-key-2", "old-key-1"]
    keys = crypto.app_keys({"SECRET_KEY": "now", "SECRET_KEY_FALLBACKS": ["old", "now", ""]})
    assert keys == ["now", "old"]


# --- Migration 0017 ----------------------------------------------------------------------------


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0017", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_encrypts_secrets_stored_in_clear_and_down_restores_them(conn):
    user = make_user(totp_enabled_at=None)
    without = make_user(email="ohne@example.org")
    table = pw.Table("user", ("id", "totp_secret")).bind(db)
    table.update(totp_secret=TOTP_SECRET).where(table.id == user.id).execute()  # as before 0017
    assert fresh(user).totp_secret is None  # plain text is not accepted as a secret

    migration = _migration()
    migrator = SchemaMigrator.from_database(db.obj)
    with db.atomic():
        migration.up(migrator, db.obj)
    raw = _raw_totp(user.id)
    assert crypto.is_encrypted(raw) and TOTP_SECRET not in raw
    assert fresh(user).totp_secret == TOTP_SECRET
    assert _raw_totp(without.id) is None

    with db.atomic():
        migration.up(migrator, db.obj)  # a second run leaves encrypted values alone
    assert _raw_totp(user.id) == raw

    with db.atomic():
        migration.down(migrator, db.obj)
    assert _raw_totp(user.id) == TOTP_SECRET
    with db.atomic():
        migration.up(migrator, db.obj)  # leave the schema as the other tests expect it
    assert fresh(user).totp_secret == TOTP_SECRET


# --- Sessions ----------------------------------------------------------------------------------


def test_sessions_carry_an_hmac_and_end_on_password_change(app, client):
    other_device = app.test_client()
    with app.app_context(), db.connection_context():
        anna = make_user(email="anna@example.org")
    for c in (client, other_device):
        use_english(c)
        assert login(c, "anna@example.org").status_code == 302
        assert c.get("/konto/").status_code == 200
    cookie_id = _session_user_id(client)
    with db.connection_context():
        token = fresh(anna).session_token
    assert cookie_id != f"{anna.id}:{token}" and token not in cookie_id

    response = client.post(
        "/konto/passwort", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/konto/").status_code == 200  # this session goes on …
    assert other_device.get("/konto/").status_code == 302  # … every other one ends
    assert _session_user_id(client) != cookie_id


def test_a_session_id_made_from_the_database_alone_logs_nobody_in(app, client, conn):
    anna = make_user(email="anna@example.org")

    def status_with(user_id: str) -> int:
        with client.session_transaction() as sess:
            sess["_user_id"] = user_id
            sess["login_at"] = sess["auth_at"] = time.time()
            sess["mfa_ok"] = True
        return client.get("/konto/").status_code

    assert status_with(f"{anna.id}:{anna.session_token}") == 302  # what a dump would offer
    assert status_with(crypto.session_id("guessed-key", anna.id, anna.session_token)) == 302
    assert status_with(anna.get_id()) == 200


def test_a_new_secret_key_ends_every_login(app, client, conn, login_as):
    anna = make_user(email="anna@example.org")
    login_as(anna)
    assert client.get("/konto/").status_code == 200
    # Flask keeps reading cookies signed with a fallback key; the login inside does not count.
    app.config["SECRET_KEY_FALLBACKS"] = [app.config["SECRET_KEY"]]
    app.config["SECRET_KEY"] = NEW_KEY
    assert client.get("/konto/").status_code == 302


# --- Every secret-looking column is a hash, encrypted, or explained --------------------------

# Columns that hold a random value which is not itself a working secret, with the reason.
EXPLAINED = {
    # Random per-user value; the cookie carries HMAC(SECRET_KEY, it) (common/crypto.py).
    ("user", "session_token"),
    # Feed links are HMAC(SECRET_KEY, seed); only the seed and the link's hash are stored.
    ("feed_token", "seed"),
    # Check-in codes, the poster's code and the tablet link are HMAC(SECRET_KEY, seed)
    # (checkin/codes.py); a dump holds only the seeds.
    ("checkin_point", "code_seed"),
    ("checkin_point", "poster_seed"),
    ("checkin_point", "tablet_seed"),
}


def test_every_token_or_secret_column_is_hashed_encrypted_or_explained():
    suspicious = re.compile(r"(^|_)(token|secret|seed|password|passwd|otp|link)(_|$)", re.I)
    found = []
    for model in all_models():
        for field in model._meta.sorted_fields:
            if not isinstance(field, pw.CharField | pw.TextField) or not suspicious.search(
                field.name
            ):
                continue
            where = (model._meta.table_name, field.column_name)
            if (
                isinstance(field, crypto.EncryptedField)
                or field.name.endswith("_hash")
                or where in EXPLAINED
            ):
                continue
            found.append(where)
    assert not found, f"columns that may hold a secret in clear: {found}"
