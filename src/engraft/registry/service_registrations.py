"""The registry service's registrations: centres, patients (with their identity records), diagnoses and donors."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from engraft.registry import checks
from engraft.registry.audit import AuditAction
from engraft.registry.episode_changes import EPISODE_CHANGES, PATIENT_MONITORED_FIELDS
from engraft.registry.errors import DuplicateRecord, RecordNotFound
from engraft.registry.models import Centre, Diagnosis, Donor, DonorMarker, Patient, PatientIdentity, TransplantEpisode
from engraft.registry.patient_reads import read_patient, read_patient_page
from engraft.registry.schemas.common import Page
from engraft.registry.schemas.donor import DonorIn, DonorOut, DonorUpdate
from engraft.registry.schemas.patient import (
    CentreIn,
    CentreOut,
    DiagnosisIn,
    DiagnosisOut,
    DiagnosisUpdate,
    PatientIn,
    PatientOut,
    PatientUpdate,
)
from engraft.registry.service_core import RegistryCore, check_page

_PATIENT_FIELDS = tuple(name for name in PatientOut.model_fields if name != "identity")


def _identifying_fields(include_identity: bool) -> list[str]:
    """The identifying fields a patient read hands out: the exact birth date, and names and MRN when asked."""
    return ["birth_date", "given_name", "family_name", "mrn"] if include_identity else ["birth_date"]


class RegistrationsMixin(RegistryCore):
    """Register and read centres, patients, diagnoses and donors; change them with optimistic locking."""

    # ---- centres -------------------------------------------------------------------------
    def create_centre(self, data: CentreIn) -> CentreOut:
        with self.transaction() as session:
            if session.scalars(select(Centre).where(Centre.code == data.code)).first() is not None:
                raise DuplicateRecord("centre", "code", data.code)
            centre = Centre(**data.model_dump())
            self._create(session, centre, "centre", data)
            return CentreOut.model_validate(centre)

    def list_centres(self) -> list[CentreOut]:
        with self._reading() as session:
            return [CentreOut.model_validate(c) for c in session.scalars(select(Centre).order_by(Centre.code))]

    # ---- patients ------------------------------------------------------------------------
    def create_patient(self, data: PatientIn) -> PatientOut:
        self._check_typing("hla_gl_string", data.hla_gl_string)
        with self.transaction() as session:
            centre = checks.fetch_centre(session, data.centre)
            registry_id = data.registry_id or f"ENG-{secrets.token_hex(5).upper()}"
            if session.scalars(select(Patient.id).where(Patient.registry_id == registry_id)).first() is not None:
                raise DuplicateRecord("patient", "registry_id", registry_id)
            fields = data.model_dump(exclude={"registry_id", "centre", "identity"})
            patient = Patient(registry_id=registry_id, centre=centre, **fields)
            if data.identity is not None:
                mrn_taken = select(PatientIdentity.id).where(
                    PatientIdentity.centre_id == centre.id, PatientIdentity.mrn == data.identity.mrn
                )
                if session.scalars(mrn_taken).first() is not None:
                    raise DuplicateRecord("patient", "identity.mrn", data.identity.mrn)
                patient.identity = PatientIdentity(centre_id=centre.id, **data.identity.model_dump())
            self._create(session, patient, "patient", data)
            return self._patient_out(patient, include_identity=True)

    @staticmethod
    def _patient_out(patient: Patient, include_identity: bool) -> PatientOut:
        """The output of a patient just written; the identity record is read only when asked."""
        fields = {name: getattr(patient, name) for name in _PATIENT_FIELDS}
        identity = patient.identity if include_identity else None
        return PatientOut.model_validate({**fields, "identity": identity})

    def get_patient(self, patient_id: int, include_identity: bool = False) -> PatientOut:
        """One patient in one query; identifying fields only with ``include_identity``."""
        with self._reading() as session:
            patient = read_patient(session.connection(), patient_id, include_identity)
        if patient is None:
            raise RecordNotFound("patient", patient_id)
        self.audit_patient_read(patient_id, include_identity)
        return patient

    def audit_patient_read(self, patient_id: int, include_identity: bool, reading: Session | None = None) -> None:
        """The audit entry of one patient's identifying read (:meth:`get_patient`'s), in its own transaction
        (on ``reading``'s connection where it autocommits: :meth:`record_access`)."""
        details = {"fields": _identifying_fields(include_identity)}
        self.record_access(AuditAction.READ, "patient", patient_id, details, reading)

    def list_patients(
        self, limit: int = 50, offset: int = 0, centre: str | None = None, include_identity: bool = False
    ) -> Page[PatientOut]:
        """A page of patients in one query (plus a count); identifying fields only with ``include_identity``."""
        check_page(limit, offset)
        with self._reading() as session:
            items, total = read_patient_page(session.connection(), limit, offset, centre, include_identity)
        if items:
            details = {"ids": [p.id for p in items], "fields": _identifying_fields(include_identity)}
            self.record_access(AuditAction.READ, "patient", None, details)
        return Page[PatientOut](items=items, total=total, limit=limit, offset=offset)

    def update_patient(self, patient_id: int, patch: PatientUpdate) -> PatientOut:
        """Change the patient (audited); a change of what the monitoring reads (the birth date: the age at day 0) is
        announced for each of the patient's episodes once committed, so a running monitoring worker re-evaluates
        them (:mod:`engraft.registry.episode_changes`)."""
        self._check_typing("hla_gl_string", patch.hla_gl_string)
        with self.transaction() as session:
            patient = self._get(session, Patient, patient_id, "patient")
            before = {field: getattr(patient, field) for field in PATIENT_MONITORED_FIELDS}
            self._update(session, patient, "patient", patch, lambda: checks.check_patient_dependents(session, patient))
            changed = frozenset(f for f in PATIENT_MONITORED_FIELDS if getattr(patient, f) != before[f])
            episodes: Sequence[int] = ()
            if changed and self._bound is None:  # in a batch the caller evaluates what it imported
                of_patient = select(TransplantEpisode.id).where(TransplantEpisode.patient_id == patient_id)
                episodes = session.scalars(of_patient.order_by(TransplantEpisode.id)).all()
            out = self._patient_out(patient, include_identity=False)
        EPISODE_CHANGES.notify_patient(patient_id, episodes, changed)  # committed
        return out

    # ---- diagnoses -----------------------------------------------------------------------
    def create_diagnosis(self, data: DiagnosisIn) -> DiagnosisOut:
        with self.transaction() as session:
            patient = checks.fetch_patient(session, data.patient_id)
            diagnosis = Diagnosis(**data.model_dump())
            checks.check_diagnosis(diagnosis, patient)
            self._create(session, diagnosis, "diagnosis", data)
            return DiagnosisOut.model_validate(diagnosis)

    def get_diagnosis(self, diagnosis_id: int) -> DiagnosisOut:
        with self._reading() as session:
            return DiagnosisOut.model_validate(self._get(session, Diagnosis, diagnosis_id, "diagnosis"))

    def list_diagnoses(self, limit: int = 50, offset: int = 0, patient_id: int | None = None) -> Page[DiagnosisOut]:
        stmt = select(Diagnosis).order_by(Diagnosis.id)
        if patient_id is not None:
            stmt = stmt.where(Diagnosis.patient_id == patient_id)
        with self._reading() as session:
            return self._page(session, stmt, DiagnosisOut, limit, offset)

    def update_diagnosis(self, diagnosis_id: int, patch: DiagnosisUpdate) -> DiagnosisOut:
        with self.transaction() as session:
            diagnosis = self._get(session, Diagnosis, diagnosis_id, "diagnosis")
            patient = checks.fetch_patient(session, diagnosis.patient_id)
            self._update(session, diagnosis, "diagnosis", patch, lambda: checks.check_diagnosis(diagnosis, patient))
            return DiagnosisOut.model_validate(diagnosis)

    # ---- donors --------------------------------------------------------------------------
    def create_donor(self, data: DonorIn) -> DonorOut:
        self._check_typing("hla_gl_string", data.hla_gl_string)
        with self.transaction() as session:
            if session.scalars(select(Donor.id).where(Donor.donor_code == data.donor_code)).first() is not None:
                raise DuplicateRecord("donor", "donor_code", data.donor_code)
            donor = Donor(**data.model_dump(exclude={"markers"}))
            donor.markers = [DonorMarker(**m.model_dump()) for m in data.markers]
            self._create(session, donor, "donor", data)
            return DonorOut.model_validate(donor)

    def get_donor(self, donor_id: int) -> DonorOut:
        with self._reading() as session:
            donor = self._get(session, Donor, donor_id, "donor", (joinedload(Donor.markers),))
            return DonorOut.model_validate(donor)

    def list_donors(self, limit: int = 50, offset: int = 0) -> Page[DonorOut]:
        stmt = select(Donor).options(selectinload(Donor.markers)).order_by(Donor.id)
        with self._reading() as session:
            return self._page(session, stmt, DonorOut, limit, offset)

    def update_donor(self, donor_id: int, patch: DonorUpdate) -> DonorOut:
        self._check_typing("hla_gl_string", patch.hla_gl_string)
        with self.transaction() as session:
            donor = self._get(session, Donor, donor_id, "donor")
            self._update(session, donor, "donor", patch, lambda: None)
            return DonorOut.model_validate(donor)
