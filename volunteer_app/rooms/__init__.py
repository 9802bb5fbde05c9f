"""Rooms of a centre and their bookings (one-off and recurring, with conflict detection)."""
