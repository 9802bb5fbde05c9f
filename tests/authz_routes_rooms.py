"""Authorization matrix entries of rooms and bookings (see tests/test_authz_matrix.py)."""

from __future__ import annotations

from tests.factories_activities import next_weekday
from tests.factories_hub import booking_form, make_booking, make_room


def authz_rooms(world):
    """Centre A's room with a booking, and centre B's, made on first use."""
    found = getattr(world, "_rooms", None)
    if found is None:
        from types import SimpleNamespace

        room = make_room(world.centre_a, name="Raum A")
        booking = make_booking(room, next_weekday(1), title="Sprechstunde A")
        room_b = make_room(world.centre_b, name="Raum B")
        make_booking(room_b, next_weekday(1), title="Sprechstunde B")
        found = SimpleNamespace(room=room, booking=booking)
        world._rooms = found
    return found


def _slug(world) -> dict:
    authz_rooms(world)
    return {"slug": world.centre_a.slug}


def _room(world) -> dict:
    return {"slug": world.centre_a.slug, "room_id": authz_rooms(world).room.id}


def _booking(world) -> dict:
    return {"slug": world.centre_a.slug, "booking_id": authz_rooms(world).booking.id}


def _room_form(world) -> dict:
    return {"name": "Bewegungsraum", "capacity": "20", "accessible": "y", "is_active": "y"}


def _booking_form(world) -> dict:
    room = authz_rooms(world).room
    return booking_form(room, next_weekday(3, weeks=2), "15:00", "16:30")


def _week_of_booking(world) -> str:
    return f"/zentren/zentrum-a/raeume/{authz_rooms(world).room.id}/woche"


def routes(m) -> dict:
    rooms_a = "/zentren/zentrum-a/raeume/"
    # The redirect goes to the room's week plan; its id is only known once the world exists.
    booked = m.Expect((302,), changes=frozenset({"Booking"}))
    return {
        "rooms.list_rooms": m.Route(
            "/zentren/<slug>/raeume/", get=m.own_centre(m.OK), params=_slug
        ),
        "rooms.create_room": m.Route(
            "/zentren/<slug>/raeume/neu",
            get=m.own_centre(m.OK),
            post=m.own_centre(m.done(rooms_a, "Room")),
            params=_slug,
            form=_room_form,
        ),
        "rooms.edit_room": m.Route(
            "/zentren/<slug>/raeume/<int:room_id>/bearbeiten",
            get=m.own_centre(m.OK),
            post=m.own_centre(m.done(rooms_a, "Room")),
            params=_room,
            form=_room_form,
        ),
        "rooms.centre_week": m.Route(
            "/zentren/<slug>/raeume/woche", get=m.own_centre(m.OK), params=_slug
        ),
        "rooms.room_week": m.Route(
            "/zentren/<slug>/raeume/<int:room_id>/woche", get=m.own_centre(m.OK), params=_room
        ),
        "rooms.book_room": m.Route(
            "/zentren/<slug>/raeume/buchen",
            get=m.own_centre(m.OK),
            post=m.own_centre(booked),
            params=_slug,
            form=_booking_form,
        ),
        "rooms.show_booking": m.Route(
            "/zentren/<slug>/buchungen/<int:booking_id>", get=m.own_centre(m.OK), params=_booking
        ),
        "rooms.cancel_booking": m.Route(
            "/zentren/<slug>/buchungen/<int:booking_id>/absagen",
            post=m.own_centre(m.Expect((302,), changes=frozenset({"Booking"}))),
            params=_booking,
            form=lambda w: {"scope": "one"},
        ),
    }
