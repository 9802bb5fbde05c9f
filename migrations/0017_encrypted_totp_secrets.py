"""TOTP secrets encrypted at rest under a key derived from SECRET_KEY (issue 10, part 7).

The column grows to 255 characters (an encrypted value is about 100); every secret still
stored in clear is encrypted in place with the app's current SECRET_KEY. ``down`` decrypts
them again (with SECRET_KEY or SECRET_KEY_FALLBACKS) and shrinks the column back.
Run through ``flask db upgrade``, which provides the app and its keys.
"""

from flask import current_app
from peewee import *

from volunteer_app.common import crypto

CONTEXT = "user.totp_secret"


def _rows(db):
    user = Table("user", ("id", "totp_secret")).bind(db)
    return user, list(user.select(user.id, user.totp_secret).where(user.totp_secret.is_null(False)))


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        migrator.migrate(
            migrator.alter_column_type("user", "totp_secret", CharField(max_length=255, null=True))
        )
    # SQLite does not enforce VARCHAR lengths: only the values change there.
    user, rows = _rows(db)
    key = current_app.config["SECRET_KEY"]
    for row in rows:
        if not crypto.is_encrypted(row["totp_secret"]):
            secret = crypto.encrypt(row["totp_secret"], key, CONTEXT)
            user.update(totp_secret=secret).where(user.id == row["id"]).execute()


def down(migrator, db):
    user, rows = _rows(db)
    keys = crypto.app_keys()
    for row in rows:
        if crypto.is_encrypted(row["totp_secret"]):
            secret = crypto.decrypt(row["totp_secret"], keys, CONTEXT)
            user.update(totp_secret=secret).where(user.id == row["id"]).execute()
    if isinstance(db, PostgresqlDatabase):
        migrator.migrate(
            migrator.alter_column_type("user", "totp_secret", CharField(max_length=64, null=True))
        )
