"""Index slots by activity and start time.

The coordinators' dashboard, the list of slots awaiting attendance and the volunteers'
"fits me" filter read a centre's slots in a time window: through the centre's activities,
then each activity's slots between two times. With only ``slot_activity_id`` every slot an
activity ever had is read and filtered by time, so the cost grows with the history; with
this index it is a range scan (see docs/benchmarks.md, "Regional dataset").
"""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_index(
            "slot", ("activity_id", "starts_at"), unique=False, name="slot_activity_id_starts_at"
        )
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_index("slot", "slot_activity_id_starts_at"))
