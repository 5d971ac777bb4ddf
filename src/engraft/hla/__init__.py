"""Engraft hla."""
