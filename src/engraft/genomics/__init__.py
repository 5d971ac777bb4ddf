"""Engraft genomics."""
