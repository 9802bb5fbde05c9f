"""What each feed says: database rows -> ``FeedEvent`` rows and ``FeedMeta``, in one language.

A ``Feed`` bundles a feed's cache key, its revision (cheap to compute, see ``queries``) and a
``render`` function that is only called when the cache does not hold that revision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from volunteer_app.activities.models import Slot
from volunteer_app.activities.queries import category_label
from volunteer_app.activities.texts import ORIGINAL, pick, texts_for
from volunteer_app.centres.models import Centre
from volunteer_app.common.urls import external_url
from volunteer_app.feeds import queries
from volunteer_app.feeds.builders import (
    FeedEvent,
    FeedMeta,
    build_calendar,
    entry_uid,
    replaced_link_calendar,
    slot_uid,
)
from volunteer_app.feeds.models import FeedToken
from volunteer_app.partners.queries import kind_label
from volunteer_app.revisions.queries import Revision


@dataclass(frozen=True)
class Feed:
    key: str | None  # None: not cached (the small "link replaced" calendar)
    revision: str
    render: Callable[[], bytes]
    filename: str
    private: bool
    last_modified: dt.datetime | None = None  # for uncached feeds


def _address(centre: Centre) -> str:
    town = f"{centre.postcode} {centre.town}".strip()
    return ", ".join(p for p in (centre.name, centre.street, town) if p)


def _location(place: str, centre: Centre) -> str:
    return ", ".join(p for p in (place, _address(centre)) if p)


def _activity_url(centre: Centre, activity_id: int) -> str:
    # The families' activity page belongs to the programme feature; until it exists the
    # centre's page is the best public place to point at.
    if "programme.show_activity" in current_app.view_functions:
        return external_url("programme.show_activity", slug=centre.slug, activity_id=activity_id)
    return external_url("centres.show_centre", slug=centre.slug)


def _status(slot: Slot) -> str:
    return "CANCELLED" if slot.status == "cancelled" else "CONFIRMED"


def _with_reason(slot: Slot, description: str) -> str:
    """A cancelled slot's description led by the centre's reason ("Fällt aus: …")."""
    if slot.status != "cancelled" or not slot.cancel_reason:
        return description
    line = _("Not taking place: %(reason)s", reason=slot.cancel_reason)
    return "\n\n".join(part for part in (line, description) if part)


def _filename(name: str) -> str:
    return f"{name}.ics"


def family_filename(slug: str) -> str:
    return _filename(slug)


# --- family --------------------------------------------------------------------------------


def family_meta(centre: Centre, categories: list) -> FeedMeta:
    if categories:
        labels = ", ".join(category_label(c) for c in categories)
        name = _("%(centre)s: %(categories)s", centre=centre.name, categories=labels)
    else:
        name = _("%(centre)s: programme", centre=centre.name)
    return FeedMeta(
        name=name,
        description=_(
            "What %(centre)s offers families. The calendar updates itself.",
            centre=centre.name,
        ),
        url=external_url("centres.show_centre", slug=centre.slug),
    )


def family_events(
    centre: Centre, slots: list[Slot], found: dict | None = None, locale: str = ORIGINAL
) -> list[FeedEvent]:
    """The public slots as events in ``locale``: an activity's title and description from
    its text in that language (``found``, by activity id) where it has one, else German."""
    cancelled = _("Cancelled:")
    events = []
    # What is the same for every slot of an activity is worked out once per activity.
    shared: dict[int, tuple] = {}
    for slot in slots:
        activity = slot.activity
        same = shared.get(activity.id)
        if same is None:
            shown = pick(activity, found or {}, locale)
            lines = [shown.description.strip()]
            if activity.audience:
                lines.append(_("For: %(audience)s", audience=activity.audience))
            same = shared[activity.id] = (
                shown.title,
                "\n\n".join(line for line in lines if line),
                _location(activity.place, centre),
                _activity_url(centre, activity.id),
                (category_label(activity.category),),
            )
        title, description, location, url, categories = same
        events.append(
            FeedEvent(
                uid=slot_uid(slot.id),
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                summary=title,
                last_modified=max(slot.updated_at, activity.updated_at),
                description=_with_reason(slot, description),
                location=location,
                url=url,
                status=_status(slot),
                cancelled_prefix=cancelled,
                sequence=slot.sequence,
                categories=categories,
                transparent=True,
            )
        )
    return events


def consultation_events(centre: Centre, entries: list) -> list[FeedEvent]:
    """Partners' public consultation hours: what, when, which room; never a person."""
    cancelled = _("Cancelled:")
    return [
        FeedEvent(
            uid=entry_uid("booking", entry.id),
            starts_at=entry.starts_at,
            ends_at=entry.ends_at,
            summary=entry.title,
            last_modified=entry.updated_at,
            location=_location(entry.place, centre),
            url=external_url("centres.show_centre", slug=centre.slug),
            status="CANCELLED" if entry.status == "cancelled" else "CONFIRMED",
            cancelled_prefix=cancelled,
            sequence=entry.sequence,
            categories=(kind_label(entry.kind_label_key),),
            transparent=True,
        )
        for entry in entries
    ]


def family_feed(
    centre: Centre,
    categories: list,
    locale: str,
    today: dt.date,
    revision: Revision | None = None,
) -> Feed:
    """The family feed; ``revision``: the centre's public revision if already read."""
    ids = tuple(sorted(c.id for c in categories))
    b = queries.bounds(today)
    revision = revision or queries.revision_row("public", centre.id)

    def render() -> bytes:
        with force_locale(locale):
            slots = queries.family_slots(centre.id, ids, b)
            found = texts_for((slot.activity.id for slot in slots), locale)
            events = family_events(centre, slots, found, locale)
            if not ids:  # consultation hours have no activity category
                events += consultation_events(centre, queries.consultations(centre.id, b))
            return build_calendar(family_meta(centre, categories), events)

    return Feed(
        key=queries.family_key(centre.id, ids, locale),
        revision=queries.family_revision(centre.id, ids, b, locale, revision),
        render=render,
        filename=family_filename(centre.slug),
        private=False,
    )


# --- staff ---------------------------------------------------------------------------------


def staff_summary(slot: Slot) -> str:
    title = slot.activity.title
    if slot.status == "cancelled" or slot.taken >= slot.capacity:
        return title
    if slot.taken == 0:
        return _("⚠ Unfilled: %(title)s", title=title)
    free = slot.capacity - slot.taken
    return ngettext(
        "%(num)s more needed: %(title)s", "%(num)s more needed: %(title)s", free, title=title
    )


def staff_description(slot: Slot, people: queries.Staffing | None) -> str:
    people = people or queries.Staffing([])
    lines = [_("%(taken)s of %(capacity)s filled", taken=slot.taken, capacity=slot.capacity)]
    if people.confirmed:
        lines.append(_("Confirmed: %(names)s", names=", ".join(people.confirmed)))
    if people.pending:
        lines.append(_("Awaiting approval: %(num)s", num=people.pending))
    if people.waitlisted:
        lines.append(_("Waiting list: %(num)s", num=people.waitlisted))
    return "\n".join(lines)


def staff_events(centre: Centre, slots: list[Slot], people: dict) -> list[FeedEvent]:
    cancelled = _("Cancelled:")
    return [
        FeedEvent(
            uid=slot_uid(slot.id),
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            summary=slot.activity.title if slot.status == "cancelled" else staff_summary(slot),
            last_modified=max(slot.updated_at, slot.activity.updated_at),
            description=_with_reason(slot, staff_description(slot, people.get(slot.id))),
            location=_location(slot.activity.place, centre),
            url=external_url("coordination.roster", slot_id=slot.id),
            status=_status(slot),
            cancelled_prefix=cancelled,
            sequence=slot.sequence,
            categories=(category_label(slot.activity.category),),
            transparent=True,
        )
        for slot in slots
    ]


def staff_feed(
    centre: Centre, locale: str, today: dt.date, revision: Revision | None = None
) -> Feed:
    """The staff feed; ``revision``: the centre's staff revision if already read."""
    b = queries.bounds(today)
    revision = revision or queries.revision_row("staff", centre.id)

    def render() -> bytes:
        with force_locale(locale):
            slots = queries.staff_slots(centre.id, b)
            people = queries.staffing(centre.id, b)
            meta = FeedMeta(
                name=_("%(centre)s: staffing", centre=centre.name),
                description=_(
                    "Every slot of %(centre)s with its staffing. Private link: do not share it.",
                    centre=centre.name,
                ),
                url=external_url("coordination.dashboard", slug=centre.slug),
            )
            return build_calendar(meta, staff_events(centre, slots, people))

    return Feed(
        key=f"staff:{centre.id}:{locale}",
        revision=queries.staff_revision(centre.id, b, locale, revision),
        render=render,
        filename=_filename(f"{centre.slug}-staffing"),
        private=True,
    )


# --- volunteer -----------------------------------------------------------------------------


def volunteer_description(slot: Slot) -> str:
    centre = slot.activity.centre
    lines = [centre.name]
    if slot.activity.responsible:
        lines.append(_("Responsible: %(name)s", name=slot.activity.responsible.name))
    if centre.contact_phone:
        lines.append(_("Phone: %(phone)s", phone=centre.contact_phone))
    if centre.contact_email:
        lines.append(_("E-mail: %(email)s", email=centre.contact_email))
    return "\n".join(lines)


def volunteer_events(slots: list[Slot], alarm: int | None) -> list[FeedEvent]:
    cancelled = _("Cancelled:")
    return [
        FeedEvent(
            uid=slot_uid(slot.id),
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            summary=slot.activity.title,
            last_modified=max(slot.updated_at, slot.activity.updated_at),
            description=_with_reason(slot, volunteer_description(slot)),
            location=_location(slot.activity.place, slot.activity.centre),
            url=external_url("signups.show_slot", slot_id=slot.id),
            status=_status(slot),
            cancelled_prefix=cancelled,
            sequence=slot.sequence,
            alarm_minutes=alarm,
        )
        for slot in slots
    ]


def volunteer_feed(link: FeedToken, locale: str, today: dt.date) -> Feed:
    """The volunteer feed of ``link`` (read by ``queries.link_by_hash``, which brings the
    revisions it follows along)."""
    b = queries.bounds(today)
    alarm = link.alarm_minutes
    revision = getattr(link, "revision", None) or queries.revision_row("person", link.user_id)
    public_sum = getattr(link, "public_sum", None)
    if public_sum is None:
        public_sum = queries.public_sum()

    def render() -> bytes:
        with force_locale(locale):
            slots = queries.volunteer_slots(link.user_id, b)
            meta = FeedMeta(
                name=_("My volunteering dates"),
                description=_(
                    "Your confirmed slots. Private link: do not share it.",
                ),
                url=external_url("signups.my_slots"),
            )
            return build_calendar(meta, volunteer_events(slots, alarm))

    return Feed(
        key=f"volunteer:{link.user_id}:{alarm}:{locale}",
        revision=queries.volunteer_revision(link.user_id, b, locale, alarm, revision, public_sum),
        render=render,
        filename=_filename("my-volunteering"),
        private=True,
    )


# --- a link that no longer works ---------------------------------------------------------


def replaced_feed(link: FeedToken, locale: str, reason: str, now: dt.datetime) -> Feed:
    """The small valid calendar of a revoked link, or of a staff link whose owner lost access.

    Subscribed clients replace every old event with its one event that says what happened.
    """

    def render() -> bytes:
        with force_locale(locale):
            messages = {
                "revoked": _(
                    "This calendar link was replaced or switched off. "
                    "Find your current link under Account > My calendars."
                ),
                "no_access": _(
                    "You no longer have access to this centre's calendar. "
                    "Please remove this subscription."
                ),
            }
            meta = FeedMeta(
                name=_("Calendar link no longer valid"),
                description=messages[reason],
                url=external_url("feeds.my_calendars"),
            )
            return replaced_link_calendar(meta, messages[reason], now)

    return Feed(
        key=None,
        revision="",
        render=render,
        filename=_filename("calendar"),
        private=True,
        last_modified=(link.revoked_at or now).replace(microsecond=0),
    )
