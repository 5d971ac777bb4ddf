"""Record-level data for researchers, pseudonymised per research project.

Records are named by :class:`~engraft.access.Pseudonymiser` pseudonyms under the project's key (kept in the
registry sealed under the server key, made on the project's first use); no names, MRNs, registry ids, HLA
typings or free text, and of the birth date only the year (and the whole years of age at transplant).
"""

from __future__ import annotations

import datetime as dt
import secrets as secrets_module

from pydantic import BaseModel, Field
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from engraft.access import Pseudonymiser
from engraft.access.pseudonyms import birth_year
from engraft.registry.errors import DuplicateRecord
from engraft.registry.models import Centre, Patient, ResearchProject, TransplantEpisode
from engraft.registry.schemas.common import Page
from engraft.registry.sealed_secrets import SecretBox, is_sealed, pseudonym_context
from engraft.registry.service import MAX_PAGE, RegistryService

PROJECT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class ResearchPatient(BaseModel):
    pseudonym: str = Field(description="stable within the project, unlinkable across projects")
    centre: str
    sex: str
    birth_year: int
    abo: str | None
    rh: str | None
    cmv_serostatus: str


class ResearchEpisode(BaseModel):
    pseudonym: str
    patient: str = Field(description="the patient's pseudonym in the same project")
    centre: str
    sequence_number: int
    transplant_type: str
    graft_source: str
    transplant_year: int
    age_at_transplant: int = Field(description="whole years")
    conditioning: list[str]
    gvhd_prophylaxis: list[str]
    tbi_dose_gy: float | None
    cd34_per_kg: float | None


def project_pseudonymiser(service: RegistryService, project: str, secrets: SecretBox | None = None) -> Pseudonymiser:
    """The project's pseudonymiser. Its 32-byte key is made on the project's first use and stored sealed under
    the server key (``secrets``, default: ``ENGRAFT_SECRET_KEY`` or the key file); a legacy plaintext key is
    sealed on its first use."""
    box = secrets or SecretBox()
    context = pseudonym_context(project)
    with service.read_snapshot() as session:
        stored = session.scalar(select(ResearchProject.pseudonym_key).where(ResearchProject.name == project))
    if stored is None:
        try:
            with service.transaction() as session:
                sealed = box.seal_bytes(secrets_module.token_bytes(32), context)
                session.add(ResearchProject(name=project, pseudonym_key=sealed))
        except DuplicateRecord:  # made by a concurrent first use
            pass
        with service.read_snapshot() as session:
            stored = session.scalar(select(ResearchProject.pseudonym_key).where(ResearchProject.name == project))
    assert stored is not None
    key = box.open_bytes(bytes(stored), context)
    if not is_sealed(bytes(stored)):
        with service.transaction() as session:
            session.execute(
                update(ResearchProject)
                .where(ResearchProject.name == project, ResearchProject.pseudonym_key == stored)
                .values(pseudonym_key=box.seal_bytes(key, context))
            )
    return Pseudonymiser(project, key)


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise ValueError(f"limit={limit}, offset={offset}: expected limit 1 to {MAX_PAGE} and offset >= 0")


def research_patients(service: RegistryService, project: str, limit: int, offset: int) -> Page[ResearchPatient]:
    _check_page(limit, offset)
    names = project_pseudonymiser(service, project)
    with service.read_snapshot() as session:
        total = session.scalar(select(func.count()).select_from(Patient)) or 0
        rows = session.execute(
            select(Patient, Centre.code).join(Centre).order_by(Patient.id).limit(limit).offset(offset)
        ).all()
        items = [
            ResearchPatient(
                pseudonym=names.pseudonym("patient", p.id),
                centre=code,
                sex=p.sex.value,
                birth_year=birth_year(p.birth_date) or 0,
                abo=None if p.abo is None else p.abo.value,
                rh=None if p.rh is None else p.rh.value,
                cmv_serostatus=p.cmv_serostatus.value,
            )
            for p, code in rows
        ]
    return Page[ResearchPatient](items=items, total=total, limit=limit, offset=offset)


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def research_episodes(service: RegistryService, project: str, limit: int, offset: int) -> Page[ResearchEpisode]:
    _check_page(limit, offset)
    names = project_pseudonymiser(service, project)
    with service.read_snapshot() as session:
        total = session.scalar(select(func.count()).select_from(TransplantEpisode)) or 0
        rows = session.execute(
            select(TransplantEpisode, Patient.birth_date, Centre.code)
            .join(Patient, Patient.id == TransplantEpisode.patient_id)
            .join(Centre, Centre.id == TransplantEpisode.centre_id)
            .options(selectinload(TransplantEpisode.conditioning))
            .order_by(TransplantEpisode.id)
            .limit(limit)
            .offset(offset)
        ).all()
        items = [
            ResearchEpisode(
                pseudonym=names.pseudonym("episode", e.id),
                patient=names.pseudonym("patient", e.patient_id),
                centre=code,
                sequence_number=e.sequence_number,
                transplant_type=e.transplant_type.value,
                graft_source=e.graft_source.value,
                transplant_year=e.day0.year,
                age_at_transplant=_age(born, e.day0),
                conditioning=[a.drug.value for a in e.conditioning],
                gvhd_prophylaxis=list(e.gvhd_prophylaxis),
                tbi_dose_gy=e.tbi_dose_gy,
                cd34_per_kg=e.cd34_per_kg,
            )
            for e, born, code in rows
        ]
    return Page[ResearchEpisode](items=items, total=total, limit=limit, offset=offset)
