"""Engraft registry."""
