"""Tests of engraft.io."""
