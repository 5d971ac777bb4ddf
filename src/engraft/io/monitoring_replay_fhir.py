"""Reading a FHIR R4 JSON or NDJSON file for ``engraft monitor replay``, mapped as ``POST /api/fhir`` maps it.

- **FHIR R4 JSON**: one Bundle (transaction, batch, collection; a searchset is read as a collection), Observation
  or MedicationAdministration, mapped by :func:`engraft.io.fhir_results.read_fhir` exactly as ``POST /api/fhir``
  maps it (catalogue LOINC codes and UCUM units only; every resource that cannot be mapped is a problem naming its
  entry); a file that is no such document raises :class:`~engraft.io.monitoring_replay_documents.ReplayFileError`;
- **NDJSON**: one such document per line; a line that is not one is a problem naming the line.

Results and administrations whose status is not final (Observation status other than final/amended/corrected,
MedicationAdministration not ``completed``) are skipped and counted, their mapping problems not reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engraft.io.fhir_results import STORED_OBSERVATION_STATUSES, FhirDocumentError, FhirResults, read_fhir
from engraft.io.monitoring_replay import FeedProblem, ReplayProblem
from engraft.io.monitoring_replay_documents import (
    LINE_BREAK,
    FeedDocument,
    FeedSettings,
    ReplayFileError,
    shown_value,
)


def fhir_file(path: Path, text: str, settings: FeedSettings) -> list[FeedDocument] | None:
    """The one document of a FHIR JSON file; ``None`` when it is JSON text of several lines of objects (NDJSON)
    and not a ``.json`` file."""
    try:
        document = _json(text)
    except ValueError as exc:
        lines = [line for line in text.splitlines() if line.strip()]
        if path.suffix.lower() != ".json" and len(lines) > 1 and "Extra data" in str(exc):
            return None
        raise ReplayFileError(f"{path.name}: not JSON ({exc})") from None
    try:
        return [_fhir_document(path.name, document, settings)]
    except FhirDocumentError as exc:
        problem = exc.problem
        raise ReplayFileError(
            f"{path.name}: not a FHIR document the replay reads ({problem.field} {shown_value(problem.value)!r}: "
            f"expected {problem.expected})"
        ) from None


def ndjson_documents(name: str, text: str, settings: FeedSettings) -> Iterator[FeedDocument]:
    """Each line of a FHIR NDJSON file, read as one document (or a problem naming the line)."""
    for number, line in enumerate(LINE_BREAK.split(text), start=1):
        if not line.strip():
            continue
        where = f"{name} line {number}"
        try:
            yield _fhir_document(where, _json(line), settings)
        except ValueError as exc:
            problem = exc.problem if isinstance(exc, FhirDocumentError) else None
            if problem is None:
                reason = f"a FHIR resource as JSON on one line ({exc})"
                yield FeedDocument(where, problems=[FeedProblem(where, None, f"expected {reason}")])
            else:
                located = f"{where} {problem.field}"
                yield FeedDocument(
                    where, problems=[FeedProblem(located, shown_value(problem.value), f"expected {problem.expected}")]
                )


def _fhir_document(where: str, document: Any, settings: FeedSettings) -> FeedDocument:
    """One FHIR document read by :func:`read_fhir`; entries whose status is not final are skipped and counted.
    Raises :class:`FhirDocumentError` for JSON that is no FHIR resource the feed reads."""
    if isinstance(document, dict) and document.get("resourceType") == "Bundle" and document.get("type") == "searchset":
        document = {**document, "type": "collection"}  # a search result's entries, read as a collection
    results: FhirResults = read_fhir(document, settings.fhir)
    skipped = _not_final_entries(document)
    problems: list[ReplayProblem] = [
        FeedProblem(f"{where} {p.field}", shown_value(p.value), f"expected {p.expected}")
        for p in results.problems
        if p.row not in skipped
    ]
    return FeedDocument(
        where,
        results.message,
        results.observations,
        results.transfusions,
        problems,
        not_final=len(skipped),
        ignored=len(results.ignored),
    )


def _not_final_entries(document: dict[str, Any]) -> set[int]:
    """The entry numbers (1 for a single resource) of results and administrations whose status is not final."""
    if document.get("resourceType") != "Bundle":
        return {1} if _not_final(document) else set()
    entries = document.get("entry") or []
    return {
        index
        for index, entry in enumerate(entries, start=1)
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict) and _not_final(entry["resource"])
    }


def _not_final(resource: dict[str, Any]) -> bool:
    status = resource.get("status")
    if not isinstance(status, str):
        return False  # a missing status is the model's problem, reported
    kind = resource.get("resourceType")
    if kind == "Observation":
        return status not in STORED_OBSERVATION_STATUSES
    return kind == "MedicationAdministration" and status != "completed"


def _json(text: str) -> Any:
    """Parsed JSON; :class:`ValueError` naming line and column (NaN and Infinity are not JSON)."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not a JSON number")

    try:
        return json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
