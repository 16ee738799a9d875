"""Demos that train a tiny model on the bank's own text; cached and shared across sessions."""

DEMOS = []
