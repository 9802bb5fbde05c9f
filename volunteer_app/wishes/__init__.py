"""Families' wishes: suggestions for offers, support, answers by the centre."""
