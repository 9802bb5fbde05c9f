"""Revisions of the coordinators' dashboard (issue "speed where people feel it"): the
centre's ``staff`` revision moves also on closing days, on a wish's approval, on "I can't
come" notices and on certificate requests, the things only the dashboard shows, so that the
dashboard can be kept rendered per revision (volunteer_app/coordination/fragments.py).
``install`` re-creates every trigger of volunteer_app/revisions/triggers.py."""


def up(migrator, db):
    from volunteer_app.revisions import triggers

    triggers.install(db)


def down(migrator, db):
    # The new tables' triggers go; closing_day's and wish's keep their extra ``staff`` move
    # (harmless: a revision that moves more often only renders a page again).
    import peewee as pw

    postgres = not isinstance(db, pw.SqliteDatabase)
    for table in ("cant_come", "volunteering_certificate"):
        if postgres:
            db.execute_sql(f'DROP TRIGGER IF EXISTS rev_{table} ON "{table}"')
            db.execute_sql(f"DROP FUNCTION IF EXISTS rev_{table}()")
        else:
            for event in ("insert", "update", "delete"):
                db.execute_sql(f"DROP TRIGGER IF EXISTS rev_{table}_{event}")
