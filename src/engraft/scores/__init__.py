"""Pre-transplant risk assessment: pure, typed clinical instruments with provenance.

Each instrument is one function taking a frozen pydantic input model and returning a result with
value, band, contributing components, published outcomes (each with a verification level), citation and
version. :mod:`engraft.scores.catalog` lists them by name for a CLI or API.
"""

from engraft.measurements import Quantity, UnitError
from engraft.scores.catalog import CATALOG, CatalogEntry, run
from engraft.scores.provenance import Citation, Component, PublishedOutcome, ScoreResult

__all__ = [
    "CATALOG",
    "CatalogEntry",
    "Citation",
    "Component",
    "PublishedOutcome",
    "Quantity",
    "ScoreResult",
    "UnitError",
    "run",
]
