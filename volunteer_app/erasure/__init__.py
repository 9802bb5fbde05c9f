"""Erasing accounts: deletion on request after a grace period, inactive and unconfirmed accounts."""
