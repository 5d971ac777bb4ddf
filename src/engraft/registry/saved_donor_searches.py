"""Saved donor searches: stored through the registry service (one audited transaction each), listed, read.

A saved search holds a patient's HLA typing (genetic data) and, for a registered patient, the link to the
record, so reading one (or a list) is audited like a patient read: one entry naming the searches (and
patients) handed out, written before they leave (:meth:`RegistryService.record_access`; no entry, no data).

A saved search is the record of a decision's basis: the typing, the request, the ranked donors as the
coordinator saw them, the IPD-IMGT/HLA release and who ran it when. Its ``content_hash`` (SHA-256 of the
canonical JSON of those) is printed on the report, so a printed report can be matched to its record.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from sqlalchemy import select

from engraft.registry.audit import AuditAction
from engraft.registry.errors import RecordNotFound
from engraft.registry.models import Patient, SavedDonorSearch
from engraft.registry.schemas.donor_search import SavedDonorSearchIn, SavedDonorSearchRecord, SavedDonorSearchSummary
from engraft.registry.service import RegistryService

ENTITY: Final = "saved donor search"
MAX_LISTED: Final = 500


def content_hash(data: SavedDonorSearchIn) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces) of what the search was and returned."""
    content: dict[str, Any] = {
        "patient_typing": data.patient_typing,
        "criteria": data.criteria,
        "result": data.result,
        "hla_release": data.hla_release,
        "donors_in_registry": data.donors_in_registry,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def save_donor_search(service: RegistryService, data: SavedDonorSearchIn) -> SavedDonorSearchRecord:
    """Store ``data`` as run by the service's actor now, with its audit entry (the request, not the donors)."""
    with service.transaction() as session:
        if data.patient_id is not None and session.get(Patient, data.patient_id) is None:
            raise RecordNotFound("patient", data.patient_id)
        record = SavedDonorSearch(
            patient_id=data.patient_id,
            patient_typing=data.patient_typing,
            criteria=data.criteria,
            result=data.result,
            hla_release=data.hla_release,
            donors_in_registry=data.donors_in_registry,
            content_hash=content_hash(data),
            note=data.note,
            run_by=service.actor.name,
        )
        session.add(record)
        session.flush()
        donors = data.result.get("donors", [])
        service.audit(
            session,
            AuditAction.CREATE,
            ENTITY,
            record.id,
            {
                "patient_id": data.patient_id,
                "criteria": data.criteria,
                "hla_release": data.hla_release,
                "content_hash": record.content_hash,
                "donor_ids": [d.get("donor_id") for d in donors if isinstance(d, dict)],
            },
        )
        return SavedDonorSearchRecord.model_validate(record)


def get_saved_donor_search(service: RegistryService, search_id: int) -> SavedDonorSearchRecord:
    """One saved search; :class:`RecordNotFound` when there is none with that id."""
    with service.read_snapshot() as session:
        record = session.get(SavedDonorSearch, search_id)
        if record is None:
            raise RecordNotFound(ENTITY, search_id)
        found = SavedDonorSearchRecord.model_validate(record)
    service.record_access(AuditAction.READ, ENTITY, search_id, {"patient_id": found.patient_id})
    return found


def list_saved_donor_searches(
    service: RegistryService, *, patient_id: int | None = None, limit: int = 50
) -> list[SavedDonorSearchSummary]:
    """Saved searches, newest first (of one patient when ``patient_id`` is given), at most ``limit``."""
    columns = [getattr(SavedDonorSearch, name) for name in SavedDonorSearchSummary.model_fields]
    query = select(*columns).order_by(SavedDonorSearch.run_at.desc(), SavedDonorSearch.id.desc())
    if patient_id is not None:
        query = query.where(SavedDonorSearch.patient_id == patient_id)
    with service.read_snapshot() as session:
        rows = session.execute(query.limit(min(limit, MAX_LISTED))).all()
        found = [SavedDonorSearchSummary.model_validate(row._asdict()) for row in rows]
    if found:
        patients = sorted({s.patient_id for s in found if s.patient_id is not None})
        service.record_access(AuditAction.READ, ENTITY, None, {"ids": [s.id for s in found], "patient_ids": patients})
    return found
