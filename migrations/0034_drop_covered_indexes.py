"""Drop 33 single-column indexes of foreign keys whose column already leads a
composite index of the same table (``signup_slot_id`` beside ``(slot_id, volunteer_id)``,
``interest_user_id`` beside ``(user_id, category_id)``, …).

A composite index answers every look-up by its leading column (the joins, the cascades of a
delete, the filters), so the single-column ones only cost: one more B-tree to write on every
insert, update of the key and delete, and their pages on disk and in the cache. The models
declare these keys with ``index=False``; tests/test_migrations.py checks that no index is
covered by another again.

Kept: ``slot_activity_id`` beside ``(activity_id, starts_at)``. PostgreSQL's generic plan of
the volunteers' "fits me" list reaches a centre's slots through it (its estimate for the wider
index is over twice as high), and without it scans every upcoming slot: 5.7 → 20 ms for that
statement on the regional dataset.
"""

# (table, column, index name as peewee created it)
COVERED = (
    ("room", "centre_id", "room_centre_id"),
    ("partner", "centre_id", "partner_centre_id"),
    ("booking", "room_id", "booking_room_id"),
    ("slot", "series_id", "slot_series_id"),
    ("signup", "slot_id", "signup_slot_id"),
    ("signup", "volunteer_id", "signup_volunteer_id"),
    ("card_holding", "centre_id", "cardholding_centre_id"),
    ("centre_membership", "user_id", "centremembership_user_id"),
    ("centre_message", "centre_id", "centremessage_centre_id"),
    ("certificate_check", "volunteer_id", "certificatecheck_volunteer_id"),
    ("closing_day", "centre_id", "closingday_centre_id"),
    ("digest_sent", "user_id", "digestsent_user_id"),
    ("ehrenamts_zertifikat", "volunteer_id", "ehrenamtszertifikat_volunteer_id"),
    ("family_link", "parent_id", "familylink_parent_id"),
    ("import_invitation", "centre_id", "importinvitation_centre_id"),
    ("interest", "user_id", "interest_user_id"),
    ("match_run", "centre_id", "matchrun_centre_id"),
    ("match_run", "operator_id", "matchrun_operator_id"),
    ("measles_proof", "volunteer_id", "measlesproof_volunteer_id"),
    ("message_recipient", "message_id", "messagerecipient_message_id"),
    ("proposal", "run_id", "proposal_run_id"),
    ("proposal", "slot_id", "proposal_slot_id"),
    ("proposal", "volunteer_id", "proposal_volunteer_id"),
    ("reachable_centre", "user_id", "reachablecentre_user_id"),
    ("standin_request", "slot_id", "standinrequest_slot_id"),
    ("standin_request", "volunteer_id", "standinrequest_volunteer_id"),
    ("volunteering_certificate", "volunteer_id", "volunteeringcertificate_volunteer_id"),
    ("wish", "centre_id", "wish_centre_id"),
    ("wish_support", "wish_id", "wishsupport_wish_id"),
    ("category", "centre_id", "category_centre_id"),
    ("activity_text", "activity_id", "activitytext_activity_id"),
    ("allowance_payment", "volunteer_id", "allowancepayment_volunteer_id"),
    ("anonymous_hours", "centre_id", "anonymoushours_centre_id"),
)


def up(migrator, db):
    for _, _, name in COVERED:
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


def down(migrator, db):
    for table, column, name in COVERED:
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')
