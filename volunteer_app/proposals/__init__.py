"""Matching in the app: proposal runs, invitations, suggestions, why slots stay empty."""
