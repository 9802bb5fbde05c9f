"""API tokens (issue: a documented JSON API under /api/v1): personal tokens and service
tokens of a centre or operator (``api_token``); only the SHA-256 of a token is stored."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Operator(Model):
        class Meta:
            database = db
            table_name = "operator"

    class Centre(Model):
        class Meta:
            database = db
            table_name = "centre"

    class ApiToken(Model):
        kind = CharField(max_length=10)
        name = CharField(max_length=80)
        prefix = CharField(max_length=8)
        token_hash = CharField(max_length=64, unique=True)
        scopes = CharField(max_length=200)
        owner = ForeignKeyField(User, null=True, on_delete="CASCADE", backref="+")
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        operator = ForeignKeyField(Operator, null=True, on_delete="CASCADE", backref="+")
        centre = ForeignKeyField(Centre, null=True, on_delete="CASCADE", backref="+")
        created_at = DateTimeField()
        last_used_at = DateTimeField(null=True)
        expires_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)
        revoked_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")

        class Meta:
            database = db
            table_name = "api_token"
            constraints = [
                SQL("CHECK (kind IN ('service', 'personal'))"),
                SQL(
                    "CHECK ((kind = 'personal' AND owner_id IS NOT NULL AND operator_id IS NULL"
                    " AND centre_id IS NULL) OR (kind = 'service' AND owner_id IS NULL AND"
                    " ((operator_id IS NULL AND centre_id IS NOT NULL) OR"
                    " (operator_id IS NOT NULL AND centre_id IS NULL))))"
                ),
            ]

    db.create_tables([ApiToken])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("api_token"))
