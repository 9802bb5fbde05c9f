"""Deleting accounts (issue 10, part 2 and inactive/unconfirmed accounts of part 4): scheduled
deletions, inactivity notices, anonymous hours of erased people, erased people in the audit log."""

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

    class Category(Model):
        class Meta:
            database = db
            table_name = "category"

    class DeletionRequest(Model):
        user = ForeignKeyField(User, unique=True, on_delete="CASCADE")
        requested_at = DateTimeField()
        due_at = DateTimeField(index=True)
        token_hash = CharField(max_length=64, unique=True)

        class Meta:
            database = db
            table_name = "deletion_request"

    class InactivityNotice(Model):
        user = ForeignKeyField(User, unique=True, on_delete="CASCADE")
        warned_at = DateTimeField(null=True)
        token_hash = CharField(max_length=64, null=True, unique=True)
        kept_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "inactivity_notice"

    class AnonymousHours(Model):
        centre = ForeignKeyField(Centre, on_delete="CASCADE")
        category = ForeignKeyField(Category, on_delete="CASCADE")
        month = DateField()
        hours = DecimalField(max_digits=8, decimal_places=2)
        signups = IntegerField()
        person_key = CharField(max_length=32)

        class Meta:
            database = db
            table_name = "anonymous_hours"
            indexes = (
                (("centre", "month"), False),
                (("person_key", "centre", "category", "month"), True),
            )
            constraints = [SQL("CHECK (hours >= 0)"), SQL("CHECK (signups >= 1)")]

    db.create_tables([DeletionRequest, InactivityNotice, AnonymousHours])
    migrator.migrate(
        migrator.add_column("audit_entry", "actor_erased", BooleanField(default=False)),
        migrator.add_column("audit_entry", "subject_erased", BooleanField(default=False)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("audit_entry", "subject_erased"),
        migrator.drop_column("audit_entry", "actor_erased"),
    )
    migrator.migrate(migrator.drop_table("anonymous_hours"))
    migrator.migrate(migrator.drop_table("inactivity_notice"))
    migrator.migrate(migrator.drop_table("deletion_request"))
