"""Tests of engraft.outcomes."""
