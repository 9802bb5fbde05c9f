"""Bringing the lists a centre has: volunteers, activities and dates from CSV or Excel."""
