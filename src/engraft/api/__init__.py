"""Engraft api."""
