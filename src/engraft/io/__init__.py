"""Engraft io."""
