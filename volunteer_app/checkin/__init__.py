"""Arrival at the door: a centre's check-in codes (tablet and poster), volunteers checking
in with their phone, and the attendance that follows from it."""
