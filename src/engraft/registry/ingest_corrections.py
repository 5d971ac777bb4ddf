"""Results a feed message sends again under an identifier already stored: a re-send, a correction, or a fault.

A feed names each result (``(source_system, source_id)``: the HL7 filler order, code and sub-id; the FHIR
Observation's identifier), so a result sent again is recognised. :func:`settle_skipped` decides for each result
the insert skipped because its key is stored:

- identical to the stored result: a re-send, nothing to do;
- a **correction** (:attr:`engraft.registry.ingest.IncomingObservation.corrects`: HL7 OBX-11 ``C``, FHIR status
  ``amended`` or ``corrected``) of the same patient and code: it **replaces** the stored result's episode, time,
  value, unit and canonical value, recorded now (so the rules in force now judge it), in the message's
  transaction, with one audit entry (action update, entity ``observation``) holding every replaced and replacing
  value; the stored row keeps its id, so an alert it triggered is judged again on the corrected series and cleared
  when the condition is no longer there;
- anything else (other content under a final result's key, or a correction naming another patient or code) is
  refused, the whole message with it, naming each row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, select, tuple_, update

from engraft.registry.audit import AuditAction
from engraft.registry.errors import InvalidRecord, Problem
from engraft.registry.ingest_statements import PendingAudit, add_audit_entry
from engraft.registry.models import Observation

Corrected = tuple[int, int, int | None, str]
"""(id, patient, episode, LOINC code) of a stored result a correction replaced."""

_NEW_OR_IDENTICAL: Final = (
    "either new, or identical to the result already stored under that source_system and source_id (a changed "
    "result is sent as a correction: HL7 OBX-11 C, FHIR status amended or corrected)"
)
_CORRECTS_SAME: Final = (
    "a correction of the result stored under that source_system and source_id, for the same patient and code"
)


@dataclass(frozen=True, slots=True)
class _Stored:
    """A result stored under a skipped row's key: its id and (patient, episode, time, code, value, unit)."""

    id: int
    content: tuple[Any, ...]


def _content(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["patient_id"], row["episode_id"], row["observed_at"], row["loinc"], row["value"], row["unit"])


def _stored_results(connection: Connection, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], _Stored]:
    """The results stored under the skipped rows' keys."""
    keys = [(r["source_system"], r["source_id"]) for r in rows]
    stmt = select(
        Observation.source_system,
        Observation.source_id,
        Observation.id,
        Observation.patient_id,
        Observation.episode_id,
        Observation.observed_at,
        Observation.loinc,
        Observation.value,
        Observation.unit,
    ).where(tuple_(Observation.source_system, Observation.source_id).in_(keys))
    return {
        (system, source_id): _Stored(oid, tuple(content))
        for system, source_id, oid, *content in connection.execute(stmt)
    }


def _apply_corrections(
    connection: Connection, replacing: Sequence[tuple[dict[str, Any], _Stored]], now: dt.datetime, audit: PendingAudit
) -> list[Corrected]:
    """Each stored result replaced by its correction (episode, time, value, unit, canonical value; recorded now,
    so the rules in force now judge it), with one audit entry holding every replaced and replacing value. Returned
    once per episode it touched: a correction whose time moves it to another episode names both."""
    corrected: list[Corrected] = []
    changes = []
    for row, found in replacing:
        connection.execute(
            update(Observation)
            .where(Observation.id == found.id)
            .values(
                episode_id=row["episode_id"],
                observed_at=row["observed_at"],
                value=row["value"],
                unit=row["unit"],
                value_canonical=row["value_canonical"],
                recorded_at=now,
            )
        )
        _, episode, observed, loinc, value, unit = found.content
        changes.append(
            {
                "id": found.id,
                "source_system": row["source_system"],
                "source_id": row["source_id"],
                "before": {"episode_id": episode, "observed_at": observed.isoformat(), "value": value, "unit": unit},
                "after": {
                    "episode_id": row["episode_id"],
                    "observed_at": row["observed_at"].isoformat(),
                    "value": row["value"],
                    "unit": row["unit"],
                },
            }
        )
        corrected.append((found.id, row["patient_id"], row["episode_id"], loinc))
        if episode != row["episode_id"]:  # moved to another episode: the one it left is judged again too
            corrected.append((found.id, row["patient_id"], episode, loinc))
    entry = {"corrected": changes, "message": audit.entity_id}
    add_audit_entry(connection, audit.actor, AuditAction.UPDATE, "observation", None, entry)
    return corrected


def settle_skipped(
    connection: Connection,
    rows: Sequence[dict[str, Any]],
    row_numbers: Sequence[int],
    corrections: frozenset[tuple[str, str]],
    audit: PendingAudit | None,
    now: dt.datetime,
) -> list[Corrected]:
    """The skipped ``rows`` (their 1-based ``row_numbers`` in the message) settled as the module describes: the
    stored results corrections replaced; raises :class:`InvalidRecord` naming every refused row (nothing
    replaced then). Corrections need ``audit`` (the message's actor); without it a changed result is refused."""
    stored = _stored_results(connection, rows)
    problems: list[Problem] = []
    replacing: list[tuple[dict[str, Any], _Stored]] = []
    for row, row_no in zip(rows, row_numbers, strict=True):
        key = (str(row["source_system"]), str(row["source_id"]))
        found = stored.get(key)
        if found is not None and _content(row) == found.content:
            continue  # identical: a re-send
        if found is not None and audit is not None and key in corrections:
            if (row["patient_id"], row["loinc"]) == (found.content[0], found.content[3]):
                replacing.append((row, found))
            else:
                problems.append(Problem("source_id", row["source_id"], _CORRECTS_SAME, row_no))
            continue
        problems.append(Problem("source_id", row["source_id"], _NEW_OR_IDENTICAL, row_no))
    if problems:
        raise InvalidRecord(sorted(problems, key=lambda p: p.row or 0))
    if not replacing or audit is None:
        return []
    return _apply_corrections(connection, replacing, now, audit)
