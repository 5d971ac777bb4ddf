"""Informed-consent records: stored through the registry service (one audited transaction each), listed."""

from __future__ import annotations

from sqlalchemy import select

from engraft.registry import checks
from engraft.registry.audit import AuditAction
from engraft.registry.errors import RecordNotFound
from engraft.registry.models import ConsentRecord, TransplantEpisode
from engraft.registry.schemas.consent import ConsentRecordIn, ConsentRecordOut
from engraft.registry.service import RegistryService


def create_consent_record(service: RegistryService, episode_id: int, data: ConsentRecordIn) -> ConsentRecordOut:
    """Store the record of an explanation of ``episode_id``'s risk document, with its audit entry."""
    with service.transaction() as session:
        episode = checks.fetch_transplant(session, episode_id)  # the document explained is a transplant's
        record = ConsentRecord(
            patient_id=episode.patient_id,
            episode_id=episode.id,
            document_hash=data.document_hash,
            document_version=data.document_version,
            document_language=data.document_language,
            explained_by=data.explained_by,
            explained_at=data.explained_at,
            participants=[p.model_dump(mode="json") for p in data.participants],
            interpreter_used=data.interpreter_used,
            interpreter_language=data.interpreter_language,
            questions=list(data.questions),
            decision=data.decision,
            notes=data.notes,
        )
        session.add(record)
        session.flush()
        service.audit(session, AuditAction.CREATE, "consent record", record.id, data.model_dump(mode="json"))
        return ConsentRecordOut.model_validate(record)


def list_consent_records(service: RegistryService, episode_id: int) -> list[ConsentRecordOut]:
    """The consent records of ``episode_id``, oldest first; :class:`RecordNotFound` for an unknown episode."""
    with service.read_snapshot() as session:
        if session.get(TransplantEpisode, episode_id) is None:
            raise RecordNotFound("transplant episode", episode_id)
        rows = session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.episode_id == episode_id)
            .order_by(ConsentRecord.explained_at, ConsentRecord.id)
        ).all()
        return [ConsentRecordOut.model_validate(r) for r in rows]
