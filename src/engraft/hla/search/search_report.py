"""Plain JSON-ready views of search results (for the API and the command line)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import Enum
from typing import Any

from engraft.hla.search.search_models import DonorMatch, SearchResult


def jsonable(value: Any) -> Any:
    """Dataclasses, enums (by value: the vocabulary's words), mappings and tuples as JSON values."""
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list | frozenset | set):
        return [jsonable(v) for v in value]
    return value


def donor_match_report(match: DonorMatch) -> dict[str, Any]:
    """One donor as JSON, with its sort keys (``rank_key``), so a saved search can say why it ranks there."""
    report: dict[str, Any] = jsonable(match)
    return report


def search_report(result: SearchResult) -> dict[str, Any]:
    return {
        "loci": list(result.loci),
        "filter_candidates": result.filter_candidates,
        "matching_donors": result.matching_donors,
        "donors": [donor_match_report(d) for d in result.donors],
    }
