"""A sign-up fires one revision trigger instead of two (issue "speed", sign-ups): a slot
update that changed only ``taken`` no longer queues the slot's trigger (its sign-up's own
trigger moves the same centre's ``staff`` revision, and families never see seats), and each
trigger call moves all its scopes in one statement. ``install`` re-creates every trigger of
volunteer_app/revisions/triggers.py; on PostgreSQL the slot's UPDATE gets a trigger of its
own (``rev_slot_update``), as a trigger's ``WHEN`` may look at OLD only on an UPDATE."""

import peewee as pw


def up(migrator, db):
    from volunteer_app.revisions import triggers

    triggers.install(db)


def down(migrator, db):
    # The slot's trigger fires on every UPDATE again, as before; the one-statement bodies
    # stay (they move the same revisions, the public one also on a change of ``taken`` alone,
    # which only renders a page again).
    from volunteer_app.revisions import triggers

    [slot] = [watch for watch in triggers.WATCHED if watch.table == "slot"]
    if isinstance(db, pw.SqliteDatabase):
        db.execute_sql("DROP TRIGGER IF EXISTS rev_slot_update")
        db.execute_sql(
            'CREATE TRIGGER rev_slot_update AFTER UPDATE ON "slot" FOR EACH ROW BEGIN\n'
            f"{triggers._body(slot, 'UPDATE', 'sqlite')}END"
        )
    else:
        db.execute_sql('DROP TRIGGER IF EXISTS rev_slot_update ON "slot"')
        db.execute_sql('DROP TRIGGER IF EXISTS rev_slot ON "slot"')
        db.execute_sql(
            'CREATE CONSTRAINT TRIGGER rev_slot AFTER INSERT OR UPDATE OR DELETE ON "slot" '
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION rev_slot()"
        )
