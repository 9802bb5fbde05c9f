"""Tokens for the JSON API (/api/v1): service tokens of a centre or operator, personal tokens."""
