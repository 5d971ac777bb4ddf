"""Engraft outcomes."""
