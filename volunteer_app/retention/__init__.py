"""Retention: the rules that delete what may no longer be kept (``flask jobs retention``)."""
