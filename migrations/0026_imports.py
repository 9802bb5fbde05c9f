"""Bringing the lists a centre has (issue 14, part 3): people from an imported list are
invited to create their account (``import_invitation``: name, address, the token's hash and
when it expires; deleted on acceptance or by the retention job once expired)."""

from peewee import *


def up(migrator, db):
    class Centre(Model):
        class Meta:
            database = db
            table_name = "centre"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class ImportInvitation(Model):
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        email = CharField(max_length=254)
        name = CharField(max_length=100)
        invited_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        token_hash = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        expires_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "import_invitation"
            indexes = ((("centre", "email"), True),)

    db.create_tables([ImportInvitation])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("import_invitation"))
