"""Cooperation partners of a centre (public directory and internal notes)."""
