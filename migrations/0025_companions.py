"""Families who volunteer together (issue 14, part 2): an activity may let volunteers bring
children (``companion_children``) and invite adults (``companion_adults``), and be open to
minors with an account of their own from an age of 14 to 17 (``minors_from_age``); a
sign-up's number of children coming along (``coming_along``), the links volunteers sent to
adult companions (``companion_invite``, only the link's hash) and a parent's link to their
child's account (``family_link``)."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("activity", "companion_children", BooleanField(default=False)),
        migrator.add_column("activity", "companion_adults", BooleanField(default=False)),
        migrator.add_column("activity", "minors_from_age", IntegerField(null=True)),
    )

    class Signup(Model):
        class Meta:
            database = db
            table_name = "signup"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class ComingAlong(Model):
        signup = ForeignKeyField(Signup, unique=True, on_delete="CASCADE")
        children = IntegerField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "coming_along"
            constraints = [SQL("CHECK (children >= 0 AND children <= 10)")]

    class CompanionInvite(Model):
        signup = ForeignKeyField(Signup, on_delete="CASCADE")
        token_hash = CharField(max_length=64, unique=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "companion_invite"

    class FamilyLink(Model):
        parent = ForeignKeyField(User, on_delete="CASCADE")
        child = ForeignKeyField(User, on_delete="CASCADE")
        birth_year = IntegerField(null=True)
        created_at = DateTimeField()
        confirmed_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "family_link"
            indexes = ((("parent", "child"), True), (("child",), False))
            constraints = [SQL("CHECK (parent_id <> child_id)")]

    db.create_tables([ComingAlong, CompanionInvite, FamilyLink])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("family_link"))
    migrator.migrate(migrator.drop_table("companion_invite"))
    migrator.migrate(migrator.drop_table("coming_along"))
    migrator.migrate(
        migrator.drop_column("activity", "minors_from_age"),
        migrator.drop_column("activity", "companion_adults"),
        migrator.drop_column("activity", "companion_children"),
    )
