"""Risk instruments over HTTP: list them with input schemas, run one by name."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException

from engraft.scores.catalog import CATALOG, CatalogEntry
from engraft.scores.provenance import ScoreResult

router = APIRouter(prefix="/api/scores", tags=["scores"])


def _describe(entry: CatalogEntry) -> dict[str, Any]:
    return {
        "name": entry.name,
        "description": entry.description,
        "citation": entry.citation.model_dump(mode="json"),
        "input_schema": entry.schema(),
    }


def _entry(name: str) -> CatalogEntry:
    entry = CATALOG.get(name)
    if entry is None:
        raise HTTPException(404, f"unknown instrument {name!r}; expected one of {sorted(CATALOG)}")
    return entry


@router.get("")
def list_scores() -> list[dict[str, Any]]:
    """Every instrument with its description, citation and input JSON Schema."""
    return [_describe(entry) for entry in CATALOG.values()]


@router.get("/{name}")
def describe_score(name: str) -> dict[str, Any]:
    return _describe(_entry(name))


@router.post("/{name}", response_model=None)
def run_score(name: str, payload: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Validate ``payload`` against the instrument's input schema and return its full result.

    The result keeps every field of the instrument's own result type (e.g. the HCT-CI risk
    group, the conditioning regimen's deciding component), not only the common ones.
    """
    result: ScoreResult = _entry(name).run(payload)
    return result.model_dump(mode="json")
