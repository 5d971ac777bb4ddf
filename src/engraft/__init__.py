"""Engraft: haematopoietic stem cell transplant safety, from donor search to survivorship."""

__version__ = "0.1.0"
