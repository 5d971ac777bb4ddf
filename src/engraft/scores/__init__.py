"""Engraft scores."""
