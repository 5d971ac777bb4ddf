"""Engraft web."""
