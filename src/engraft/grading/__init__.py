"""Engraft grading."""
