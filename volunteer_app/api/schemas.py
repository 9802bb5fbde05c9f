"""What the API reads and writes: marshmallow schemas, which also make the OpenAPI document.

Output schemas take the rows and dataclasses the features' queries return and turn them into
JSON in a ``pre_dump`` (so that each field has a type for the document). Times are written in
Berlin time with their offset (``2025-03-29T10:00:00+01:00``); dates as ``YYYY-MM-DD``;
hours as decimal strings (``"2.50"``). Nothing here reads the database.
"""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields, pre_dump, validate

from volunteer_app.activities.queries import category_label
from volunteer_app.api.paging import DEFAULT_LIMIT, MAX_LIMIT
from volunteer_app.common.time import to_berlin
from volunteer_app.common.urls import base_url, external_url
from volunteer_app.db import MAX_ID


class BerlinDateTime(fields.DateTime):
    """A stored naive-UTC time written in Berlin time with its offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return to_berlin(value).isoformat()


class DecimalString(fields.Decimal):
    """A decimal written as a string (``"2.50"``), documented as one (api/__init__.py
    registers it: apispec documents every ``Decimal`` as a number, ``as_string`` or not)."""

    def __init__(self, **kwargs):
        super().__init__(places=2, as_string=True, **kwargs)


# --- Errors ----------------------------------------------------------------------------------


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (``application/problem+json``)."""

    type = fields.String(
        metadata={"description": "about:blank, or a link to the problem on the reference page"}
    )
    title = fields.String(metadata={"description": "The kind of problem, in the caller's language"})
    status = fields.Integer(metadata={"description": "The HTTP status"})
    detail = fields.String(
        metadata={"description": "What went wrong, as the pages say it, in the caller's language"}
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages by field, for invalid input"},
    )


# --- Arguments -------------------------------------------------------------------------------


def _messages(**extra) -> dict:
    """Field messages in the caller's language (marshmallow's own are English)."""
    return {
        "required": _l("Please fill in this field."),
        "null": _l("Please fill in this field."),
        **extra,
    }


#: marshmallow's own messages (English, in its fields and schemas) in the caller's language:
#: ``ArgsSchema`` swaps them in for every field of the API's input, so that a message a
#: field was not given one for (``Unknown field.``, ``Not a valid string.`` …) follows
#: ``?lang=``/``Accept-Language`` like every other text of a problem.
MARSHMALLOW_MESSAGES = {
    "Missing data for required field.": _l("Missing data for required field."),
    "Field may not be null.": _l("Field may not be null."),
    "Invalid value.": _l("Invalid value."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid utf-8 string.": _l("Not a valid utf-8 string."),
    "Not a valid number.": _l("Not a valid number."),
    "Number too large.": _l("Number too large."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid boolean.": _l("Not a valid boolean."),
    "Not a valid list.": _l("Not a valid list."),
    "Invalid type.": _l("Invalid type."),
    "Invalid input type.": _l("Invalid input type."),
    "Unknown field.": _l("Unknown field."),
}


def _translated(message):
    return MARSHMALLOW_MESSAGES.get(message, message) if isinstance(message, str) else message


class ArgsSchema(ma.Schema):
    """What the API reads (query and body): marshmallow's messages in the caller's language.

    The messages stay lazy strings until ``problems`` writes them, in the request's locale.
    (A lazy message is not ``.format``-ed by marshmallow: the ones above have no
    placeholders, and every validator here is given its own message.)
    """

    error_messages = {
        "type": MARSHMALLOW_MESSAGES["Invalid input type."],
        "unknown": MARSHMALLOW_MESSAGES["Unknown field."],
    }

    def on_bind_field(self, field_name, field_obj) -> None:
        field_obj.error_messages = {
            key: _translated(text) for key, text in field_obj.error_messages.items()
        }


FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)


# The years 2000 to 2100 as the document says them (JSON Schema has no range of dates; the
# ``x-minimum``/``x-maximum`` apispec writes for the validator are read by no client).
DAY_PATTERN = "^(20[0-9][0-9]|2100)-"


def _day(description: str, **kwargs):
    """A Berlin day from 2000 to 2100 (anything else is no date of ours, and past 9999 would
    not even turn into a time)."""
    return fields.Date(
        validate=validate.Range(FIRST_DAY, LAST_DAY, error=_l("Please give a date as YYYY-MM-DD.")),
        error_messages=_messages(invalid=_l("Please give a date as YYYY-MM-DD.")),
        metadata={"description": description, "pattern": DAY_PATTERN},
        **kwargs,
    )


class LangArgs(ArgsSchema):
    lang = fields.String(
        validate=validate.Length(max=10, error=_l("Please give a language code like de or uk.")),
        metadata={
            "description": "Language of texts and errors (de, en, uk, ar, ru, pl, ro, fa-AF)"
        },
    )


class PageArgs(LangArgs):
    cursor = fields.String(
        metadata={"description": "next_cursor of the previous page; none for the first"},
    )
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT, error=_l("Please give a number from 1 to 100.")),
        error_messages=_messages(invalid=_l("Please give a whole number.")),
        metadata={"description": f"Items per page, 1 to {MAX_LIMIT}"},
    )


class DateRangeArgs(PageArgs):
    from_ = _day("First day (Berlin), default today", data_key="from")
    to = _day("Last day (Berlin), included")

    @ma.validates_schema
    def _order(self, data, **kwargs):
        first, last = data.get("from_"), data.get("to")
        if first and last and last < first:
            raise ma.ValidationError(_l("The last day must not be before the first day."), "to")


class HoursArgs(LangArgs):
    year = fields.Integer(
        validate=validate.Range(2000, 2100, error=_l("Please give a year from 2000 on.")),
        error_messages=_messages(invalid=_l("Please give a whole number.")),
        metadata={"description": "A calendar year (instead of from/to)"},
    )
    from_ = _day("First day; default 1 January of this year", data_key="from")
    to = _day("Last day; default today")


class JsonInteger(fields.Integer):
    """An integer as JSON Schema means one: ``7`` and ``7.0``, but not ``"7"`` or ``true``
    (marshmallow's ``strict`` refuses ``7.0``, which the document's ``integer`` allows)."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


class AssignmentArgs(ArgsSchema):
    volunteer_id = JsonInteger(
        required=True,
        validate=validate.Range(1, MAX_ID, error=_l("This person was not found.")),
        error_messages=_messages(invalid=_l("Please give a whole number.")),
        metadata={"description": "The person to assign (an id the centre's pages show)"},
    )


# --- Centres and the programme -----------------------------------------------------------------


class CentreSchema(ma.Schema):
    """A centre as its public page shows it."""

    slug = fields.String(required=True)
    name = fields.String(required=True)
    street = fields.String(required=True)
    postcode = fields.String(required=True)
    town = fields.String(required=True)
    description = fields.String(required=True)
    contact_email = fields.String(required=True)
    contact_phone = fields.String(required=True)
    operator = fields.String(required=True, allow_none=True)
    url = fields.String(required=True, metadata={"description": "The centre's public page"})
    programme_url = fields.String(required=True, metadata={"description": "Its programme here"})

    @pre_dump
    def _from_row(self, centre, **kwargs):
        return {
            **{name: getattr(centre, name) for name in self.fields if hasattr(centre, name)},
            "operator": centre.operator.name if centre.operator_id else None,
            "url": external_url("centres.show_centre", slug=centre.slug),
            "programme_url": external_url("api.programme", slug=centre.slug),
        }


class CentrePageSchema(ma.Schema):
    items = fields.List(fields.Nested(CentreSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class ProgrammeItemSchema(ma.Schema):
    """One date of the public programme: what the centre's page shows of it, nothing more."""

    title = fields.String(required=True, metadata={"description": "In the caller's language"})
    title_language = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The title's language where it is not the caller's (de)"},
    )
    category = fields.String(required=True)
    category_key = fields.String(
        required=True, metadata={"description": "A built-in category's key, else empty"}
    )
    audience = fields.String(required=True)
    place = fields.String(required=True)
    starts_at = BerlinDateTime(required=True)
    ends_at = BerlinDateTime(required=True)
    cancelled = fields.Boolean(required=True)
    cancel_reason = fields.String(
        required=True, allow_none=True, metadata={"description": "As the centre wrote it (German)"}
    )
    url = fields.String(required=True, metadata={"description": "The activity's public page"})

    @pre_dump
    def _from_entry(self, entry, **kwargs):
        return {
            "title": entry.title,
            "title_language": (entry.title_lang or "").replace("_", "-") or None,
            "category": entry.category,
            "category_key": entry.category_key,
            "audience": entry.audience,
            "place": entry.place,
            "starts_at": entry.starts_at,
            "ends_at": entry.ends_at,
            "cancelled": entry.is_cancelled,
            "cancel_reason": entry.cancel_reason or None,
            "url": base_url() + entry.url if entry.url else "",
        }


class ProgrammePageSchema(ma.Schema):
    items = fields.List(fields.Nested(ProgrammeItemSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


# --- Staff: activities and slots with their fill levels -----------------------------------------


class ActivitySchema(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True, metadata={"description": "The German original"})
    category = fields.String(required=True)
    place = fields.String(required=True)
    audience = fields.String(required=True)
    is_public = fields.Boolean(required=True)
    is_child_facing = fields.Boolean(
        required=True, metadata={"description": "Volunteers need a valid certificate of conduct"}
    )
    signup_mode = fields.String(required=True, metadata={"description": "open or approval"})
    volunteers_needed = fields.Integer(required=True)
    responsible = fields.String(required=True, allow_none=True)
    next_start = BerlinDateTime(required=True, allow_none=True)
    upcoming_count = fields.Integer(required=True)
    unfilled_count = fields.Integer(required=True)

    @pre_dump
    def _from_row(self, activity, **kwargs):
        responsible = getattr(activity, "responsible", None)
        return {
            **{name: getattr(activity, name) for name in self.fields if hasattr(activity, name)},
            "category": category_label(activity.category),
            "responsible": responsible.name if activity.responsible_id and responsible else None,
            "next_start": activity.next_start,
            "upcoming_count": activity.upcoming_count or 0,
            "unfilled_count": activity.unfilled_count or 0,
        }


class ActivityListSchema(ma.Schema):
    items = fields.List(fields.Nested(ActivitySchema), required=True)


class SlotFillSchema(ma.Schema):
    """A slot with its fill levels, as the coordinators' desk shows them."""

    id = fields.Integer(required=True)
    activity_id = fields.Integer(required=True)
    activity = fields.String(required=True, metadata={"description": "The activity's title"})
    starts_at = BerlinDateTime(required=True)
    ends_at = BerlinDateTime(required=True)
    status = fields.String(required=True, metadata={"description": "scheduled or cancelled"})
    cancel_reason = fields.String(required=True, allow_none=True)
    capacity = fields.Integer(required=True)
    confirmed = fields.Integer(required=True)
    pending_approval = fields.Integer(required=True)
    waiting_list = fields.Integer(required=True)
    free = fields.Integer(required=True, metadata={"description": "0 for a cancelled slot"})

    @pre_dump
    def _from_row(self, slot, **kwargs):
        cancelled = slot.status == "cancelled"
        return {
            "id": slot.id,
            "activity_id": slot.activity.id,
            "activity": slot.activity.title,
            "starts_at": slot.starts_at,
            "ends_at": slot.ends_at,
            "status": slot.status,
            "cancel_reason": (slot.cancel_reason or None) if cancelled else None,
            "capacity": slot.capacity,
            "confirmed": slot.taken,
            "pending_approval": slot.pending_count or 0,
            "waiting_list": slot.waitlist_count or 0,
            "free": 0 if cancelled else max(slot.capacity - slot.taken, 0),
        }


class SlotPageSchema(ma.Schema):
    items = fields.List(fields.Nested(SlotFillSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


# --- Own: the person, their sign-ups and hours ----------------------------------------------------


class MeSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    language = fields.String(required=True, attribute="locale")
    role = fields.String(required=True, metadata={"description": "volunteer, coordinator or admin"})


class MySignupSchema(ma.Schema):
    id = fields.Integer(required=True)
    status = fields.String(
        required=True,
        metadata={"description": "confirmed, pending, waitlisted, declined or cancelled"},
    )
    slot_id = fields.Integer(required=True)
    slot_cancelled = fields.Boolean(required=True)
    activity = fields.String(required=True, metadata={"description": "In the caller's language"})
    title_language = fields.String(required=True, allow_none=True)
    centre = fields.String(required=True, metadata={"description": "The centre's slug"})
    place = fields.String(required=True)
    starts_at = BerlinDateTime(required=True)
    ends_at = BerlinDateTime(required=True)
    attendance = fields.String(required=True, allow_none=True)
    hours = DecimalString(required=True, allow_none=True)

    @pre_dump
    def _from_row(self, row, **kwargs):
        signup, shown = row
        slot = signup.slot
        return {
            "id": signup.id,
            "status": signup.status,
            "slot_id": slot.id,
            "slot_cancelled": slot.status == "cancelled",
            "activity": shown.title,
            "title_language": (shown.lang or "").replace("_", "-") or None,
            "centre": slot.activity.centre.slug,
            "place": slot.activity.place,
            "starts_at": slot.starts_at,
            "ends_at": slot.ends_at,
            "attendance": signup.attendance,
            "hours": signup.hours,
        }


class MySignupPageSchema(ma.Schema):
    items = fields.List(fields.Nested(MySignupSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class HoursLineSchema(ma.Schema):
    label = fields.String(required=True)
    hours = DecimalString(required=True)
    dates = fields.Integer(required=True)


class HoursSchema(ma.Schema):
    """Attended hours in the period, as "My hours" shows them."""

    first = fields.Date(required=True)
    last = fields.Date(required=True)
    total = DecimalString(required=True)
    dates = fields.Integer(required=True)
    by_category = fields.List(fields.Nested(HoursLineSchema), required=True)
    by_centre = fields.List(fields.Nested(HoursLineSchema), required=True)

    @pre_dump
    def _from_hours(self, data, **kwargs):
        first, last, hours = data.first, data.last, data.hours
        return {
            "first": first,
            "last": last,
            "total": hours.total,
            "dates": hours.dates,
            "by_category": hours.by_category,
            "by_centre": hours.by_centre,
        }


# --- Writes ------------------------------------------------------------------------------------


class SignupSchema(ma.Schema):
    """A sign-up after the change."""

    id = fields.Integer(required=True)
    slot_id = fields.Integer(required=True)
    volunteer_id = fields.Integer(required=True)
    status = fields.String(required=True)
    outcome = fields.String(
        required=True,
        metadata={"description": "confirmed, pending (waits for approval) or waitlisted"},
    )
    waitlist_position = fields.Integer(required=True, allow_none=True)

    @pre_dump
    def _from_result(self, data, **kwargs):
        signup, outcome, position = data.signup, data.outcome, data.waitlist_position
        return {
            "id": signup.id,
            "slot_id": signup.slot_id,
            "volunteer_id": signup.volunteer_id,
            "status": signup.status,
            "outcome": outcome,
            "waitlist_position": position,
        }
