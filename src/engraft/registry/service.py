"""The registry's service layer: every write goes through here, in one transaction, with audit.

Each public method opens its own transaction and either commits everything it did (including
its audit entry) or nothing. Updates use optimistic locking: the caller passes the version it
read; a stale version, or a concurrent change between read and write, raises
:class:`VersionConflict` instead of silently overwriting the other edit.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy import Select, Table, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.interfaces import ORMOption

from engraft.registry import checks
from engraft.registry.audit import Actor, AuditAction
from engraft.registry.episode_changes import (
    EPISODE_CHANGES,
    MONITORED_FIELDS,
    PATIENT_MONITORED_FIELDS,
    EpisodeChanged,
)
from engraft.registry.errors import (
    AuditUnavailable,
    DuplicateRecord,
    InvalidRecord,
    Problem,
    RecordNotFound,
    RegistryError,
    VersionConflict,
)
from engraft.registry.models import (
    Assessment,
    AuditEntry,
    Base,
    Centre,
    ClinicalEvent,
    ConditioningAgent,
    Diagnosis,
    Donor,
    DonorMarker,
    EpisodeDonor,
    FollowUpVisit,
    Observation,
    Patient,
    PatientIdentity,
    TransplantEpisode,
)
from engraft.registry.patient_reads import known_total, read_patient, read_patient_page
from engraft.registry.schemas.clinical import (
    AssessmentOut,
    EventIn,
    EventOut,
    EventUpdate,
    FollowUpIn,
    FollowUpOut,
    FollowUpUpdate,
    ObservationOut,
    validate_event_details,
)
from engraft.registry.schemas.common import Page
from engraft.registry.schemas.donor import DonorIn, DonorOut, DonorUpdate
from engraft.registry.schemas.episode import EpisodeIn, EpisodeOut, EpisodeUpdate
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
from engraft.registry.typing_validation import TypingValidator, hla_typing_validator

ModelT = TypeVar("ModelT", bound=Base)
OutT = TypeVar("OutT", bound=BaseModel)
MAX_PAGE = 1000
_PATIENT_FIELDS = tuple(name for name in PatientOut.model_fields if name != "identity")


_EPISODE_LOAD_ONE: tuple[ORMOption, ...] = (
    joinedload(TransplantEpisode.conditioning),
    joinedload(TransplantEpisode.donor_links),
)
"""One episode in one query (a few conditioning agents times at most four donors: a small product)."""
_EPISODE_LOAD_PAGE: tuple[ORMOption, ...] = (
    selectinload(TransplantEpisode.conditioning),
    selectinload(TransplantEpisode.donor_links),
)
"""A page of episodes: one query per collection for the whole page, not one per episode."""


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRecord.single("limit", limit, f"an integer from 1 to {MAX_PAGE}")
    if offset < 0:
        raise InvalidRecord.single("offset", offset, "an integer >= 0")


def integrity_problem(exc: IntegrityError) -> RegistryError:
    """A unique-key clash is a 409 DuplicateRecord; any other constraint failure a 422 InvalidRecord.

    The database's own message is not passed on (it may name internals); the constraint is.
    """
    text = str(exc.orig)
    if "UNIQUE constraint failed" in text or getattr(exc.orig, "sqlstate", None) == "23505":
        return DuplicateRecord("record", "unique key", text.splitlines()[0].split(":")[-1].strip())
    return InvalidRecord.single(
        "record",
        None,
        "values that satisfy the registry's constraints (a reference, a required field or a range is not met)",
    )


def _begin_write(session: Session) -> None:
    """On SQLite, take the write lock at BEGIN (see ``engraft.registry.database``)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


_AUDIT_INSERT = insert(cast(Table, AuditEntry.__table__))
"""An audit entry's INSERT (the column defaults, ``at`` among them, applied as the ORM applies them)."""


def _identifying_fields(include_identity: bool) -> list[str]:
    """The identifying fields a patient read hands out: the exact birth date, and names and MRN when asked."""
    return ["birth_date", "given_name", "family_name", "mrn"] if include_identity else ["birth_date"]


class RegistryService:
    """Transactional access to the registry for one acting user (recorded in the audit log)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        actor: Actor | str = "system",
        bound: Session | None = None,
        typing_validator: TypingValidator | None = None,
    ) -> None:
        """``typing_validator`` checks HLA GL Strings; ``None``: the configured IMGT/HLA release, found on
        first use (:func:`~engraft.registry.typing_validation.hla_typing_validator`), which refuses every
        typing when no release is configured. Typings are never stored unchecked."""
        self._sessions = sessions
        self._bound = bound
        self.actor = actor if isinstance(actor, Actor) else Actor.system(actor)
        self._typing_validator = typing_validator

    def for_actor(self, actor: Actor) -> RegistryService:
        """The same registry, acting for ``actor`` (one per request: the user, address and agent it audits)."""
        return RegistryService(self._sessions, actor, bound=self._bound, typing_validator=self._typing_validator)

    @property
    def typing_validator(self) -> TypingValidator:
        if self._typing_validator is None:
            self._typing_validator, _release = hla_typing_validator()
        return self._typing_validator

    def _check_typing(self, field: str, gl_string: str | None) -> None:
        """Validate an HLA GL String against the IMGT/HLA release (refused when none is configured)."""
        if gl_string is None:
            return
        try:
            self.typing_validator(gl_string)
        except ValueError as exc:
            raise InvalidRecord.single(field, gl_string, str(exc)) from exc

    @contextmanager
    def batch(self) -> Iterator[RegistryService]:
        """A service whose every call joins one outer transaction (all-or-nothing imports).

        Each call inside runs in a savepoint, so a caller may catch a failing record and go
        on (skip-bad-rows mode); the outer transaction commits only when the block ends cleanly.
        """
        with self._sessions() as session, session.begin():
            _begin_write(session)
            yield RegistryService(self._sessions, self.actor, bound=session, typing_validator=self._typing_validator)

    @contextmanager
    def read_snapshot(self) -> Iterator[Session]:
        """A read-only unit of work (no write lock on SQLite); the caller chooses its isolation level."""
        with self._sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A session for one read. On PostgreSQL its connection is in autocommit: no BEGIN and ROLLBACK
        round trips, and each statement reads its own snapshot, as it would inside a READ COMMITTED
        transaction. On SQLite, a read transaction as before."""
        with self._sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for several reads that writes nothing, on one pooled connection (one checkout and ping).

        Like the service's own reads: autocommit on PostgreSQL (each statement sees what was committed when
        it started, as inside a READ COMMITTED transaction), a read transaction on SQLite. A reader of
        identifying data through it audits with :meth:`audit_patient_read` (or :meth:`record_access`)
        before the data leave."""
        with self._reading() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back everything on any error."""
        with self._unit_of_work() as session:
            try:
                yield session
                session.flush()
            except StaleDataError as exc:
                raise VersionConflict("record", None, 0, None) from exc
            except IntegrityError as exc:
                raise integrity_problem(exc) from exc

    @contextmanager
    def _unit_of_work(self) -> Iterator[Session]:
        if self._bound is None:
            with self._sessions() as session, session.begin():
                _begin_write(session)
                yield session
        else:
            with self._bound.begin_nested():
                yield self._bound

    def audit(self, session: Session, action: AuditAction, entity: str, entity_id: int | None, changes: Any) -> None:
        """Add the audit entry of ``action`` by this service's actor to ``session``'s transaction.

        The entry is flushed at once (the records it describes were flushed before it), so a database that
        refuses it fails the whole transaction with :class:`AuditUnavailable`: nothing goes unrecorded.
        """
        actor = self.actor
        entry = AuditEntry(
            actor=actor.name,
            actor_id=actor.user_id,
            actor_role=actor.role,
            client_address=actor.client_address,
            user_agent=actor.user_agent,
            action=action,
            entity=entity,
            entity_id=entity_id,
            changes=changes,
        )
        session.add(entry)
        try:
            session.flush()
        except SQLAlchemyError as exc:
            raise AuditUnavailable(action.value, entity) from exc

    def record_access(
        self, action: AuditAction, entity: str, entity_id: int | None, details: Any, reading: Session | None = None
    ) -> None:
        """Audit a read or export of identifying data, in a transaction of its own, before the data leave.

        ``reading``: the :meth:`reading` session the data were read in, still open. On PostgreSQL its
        connection is in autocommit, so the entry is one INSERT there, committed by itself (its own
        transaction, without another checkout, ping, BEGIN and COMMIT); elsewhere, or inside a batch, the
        entry gets a transaction of its own as without it.

        Raises :class:`AuditUnavailable` when the entry cannot be written: the caller must then not hand out
        what was read (never a silent read).
        """
        actor = self.actor
        entry = {
            **actor.audit_columns(),
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "changes": details,
        }
        try:
            # one INSERT through the connection: the unit of work of an ORM entry cost more than the read
            if reading is not None and self._bound is None and reading.get_bind().dialect.name == "postgresql":
                reading.connection().execute(_AUDIT_INSERT, entry)  # autocommit: committed when it returns
            else:
                with self.transaction() as session:
                    session.connection().execute(_AUDIT_INSERT, entry)
        except AuditUnavailable:
            raise
        except (SQLAlchemyError, RegistryError) as exc:
            raise AuditUnavailable(action.value, entity) from exc

    # ---- generic helpers -------------------------------------------------------------------
    def _get(
        self,
        session: Session,
        model: type[ModelT],
        record_id: int,
        entity: str,
        options: Sequence[ORMOption] = (),
    ) -> ModelT:
        record = session.get(model, record_id, options=options)
        if record is None:
            raise RecordNotFound(entity, record_id)
        return record

    def _page(
        self,
        session: Session,
        stmt: Select[tuple[ModelT]],
        out: type[OutT],
        limit: int,
        offset: int,
        convert: Callable[[ModelT], OutT] | None = None,
    ) -> Page[OutT]:
        """One page of ``stmt``: one query for the rows, and a ``count`` unless the page itself shows the total.

        ``stmt`` must load everything ``out`` reads (joined or select-in eager loads), so a page
        costs the same few statements whatever its size; a lazy load per row is a regression
        that tests/registry/test_query_shape.py catches.
        """
        _check_page(limit, offset)
        rows = session.scalars(stmt.limit(limit).offset(offset)).all()
        total = known_total(len(rows), limit, offset)
        if total is None:
            total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        items = [convert(r) for r in rows] if convert is not None else [out.model_validate(r) for r in rows]
        return Page[out](items=items, total=total, limit=limit, offset=offset)  # type: ignore[valid-type]

    def _update(
        self,
        session: Session,
        record: Any,
        entity: str,
        patch: BaseModel,
        check: Callable[[], None],
    ) -> dict[str, Any]:
        expected = patch.model_dump()["version"]
        model, record_id = type(record), record.id
        if record.version != expected:
            raise VersionConflict(entity, record.id, expected, record.version)
        changes = {k: v for k, v in patch.model_dump(mode="json", exclude_unset=True).items() if k != "version"}
        columns = model.__table__.columns
        cleared = [f for f, v in changes.items() if v is None and f in columns and not columns[f].nullable]
        if cleared:
            raise InvalidRecord(
                [Problem(f, None, "a value: this field is required and cannot be cleared") for f in cleared]
            )
        for field in changes:
            setattr(record, field, getattr(patch, field))
        with session.no_autoflush:
            check()
        try:
            session.flush()
        except StaleDataError as exc:
            with self._sessions() as fresh:
                current = fresh.scalar(select(model.version).where(model.id == record_id))
            raise VersionConflict(entity, record_id, expected, current) from exc
        self.audit(session, AuditAction.UPDATE, entity, record.id, changes)
        return changes

    def _create(self, session: Session, record: Base, entity: str, data: BaseModel) -> None:
        session.add(record)
        session.flush()
        logged = data.model_dump(mode="json", exclude={"identity"})
        self.audit(session, AuditAction.CREATE, entity, record.id, logged)  # type: ignore[attr-defined]

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
        _check_page(limit, offset)
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

    # ---- transplant episodes -------------------------------------------------------------
    def create_episode(self, data: EpisodeIn) -> EpisodeOut:
        with self.transaction() as session:
            patient = checks.fetch_patient(session, data.patient_id)
            centre = checks.fetch_centre(session, data.centre)
            donors = [self._donor_for_episode(session, i) for i in data.donor_ids]
            sequence = data.sequence_number or 1 + (
                session.scalar(
                    select(func.max(TransplantEpisode.sequence_number)).where(
                        TransplantEpisode.patient_id == patient.id
                    )
                )
                or 0
            )
            fields = data.model_dump(exclude={"centre", "donor_ids", "conditioning", "sequence_number"})
            episode = TransplantEpisode(centre=centre, sequence_number=sequence, **fields)
            episode.conditioning = [
                ConditioningAgent(position=i, **a.model_dump()) for i, a in enumerate(data.conditioning)
            ]
            episode.donor_links = [EpisodeDonor(donor_id=d.id, position=i) for i, d in enumerate(donors)]
            checks.check_episode(session, episode, patient, donors)
            taken = select(TransplantEpisode.id).where(
                TransplantEpisode.patient_id == patient.id, TransplantEpisode.sequence_number == sequence
            )
            if session.scalars(taken).first() is not None:
                raise DuplicateRecord("transplant episode", "sequence_number", sequence)
            self._create(session, episode, "transplant episode", data)
            return EpisodeOut.model_validate(episode)

    def _donor_for_episode(self, session: Session, donor_id: int) -> Donor:
        donor = session.get(Donor, donor_id)
        if donor is None:
            raise InvalidRecord.single("donor_ids", donor_id, "the id of a registered donor")
        return donor

    def get_episode(self, episode_id: int) -> EpisodeOut:
        with self._reading() as session:
            episode = self._get(session, TransplantEpisode, episode_id, "transplant episode", _EPISODE_LOAD_ONE)
            return EpisodeOut.model_validate(episode)

    def list_episodes(
        self, limit: int = 50, offset: int = 0, patient_id: int | None = None, centre: str | None = None
    ) -> Page[EpisodeOut]:
        stmt = select(TransplantEpisode).options(*_EPISODE_LOAD_PAGE).order_by(TransplantEpisode.id)
        if patient_id is not None:
            stmt = stmt.where(TransplantEpisode.patient_id == patient_id)
        if centre is not None:
            stmt = stmt.join(Centre).where(Centre.code == centre)
        with self._reading() as session:
            return self._page(session, stmt, EpisodeOut, limit, offset)

    def update_episode(self, episode_id: int, patch: EpisodeUpdate) -> EpisodeOut:
        """Change the episode (audited); a change of what the monitoring reads (day 0, graft source, cell therapy)
        is announced once committed, so a running monitoring worker re-evaluates the episode
        (:mod:`engraft.registry.episode_changes`)."""
        with self.transaction() as session:
            episode = self._get(session, TransplantEpisode, episode_id, "transplant episode")
            patient = checks.fetch_patient(session, episode.patient_id)
            donors = [self._donor_for_episode(session, i) for i in episode.donor_ids]
            before = {field: getattr(episode, field) for field in MONITORED_FIELDS}
            self._update(
                session,
                episode,
                "transplant episode",
                patch,
                lambda: checks.check_episode(session, episode, patient, donors),
            )
            changed = frozenset(f for f in MONITORED_FIELDS if getattr(episode, f) != before[f])
            out = EpisodeOut.model_validate(episode)
        if changed and self._bound is None:  # committed (in a batch the caller evaluates what it imported)
            EPISODE_CHANGES.notify(EpisodeChanged(out.patient_id, out.id, changed))
        return out

    # ---- clinical events -----------------------------------------------------------------
    def create_event(self, data: EventIn) -> EventOut:
        with self.transaction() as session:
            patient = checks.fetch_patient(session, data.patient_id)
            details = validate_event_details(data.event_type, data.details)
            event = ClinicalEvent(**data.model_dump(exclude={"details"}), details=details)
            checks.check_event(session, event, patient)
            self._create(session, event, "clinical event", data)
            return EventOut.model_validate(event)

    def get_event(self, event_id: int) -> EventOut:
        with self._reading() as session:
            return EventOut.model_validate(self._get(session, ClinicalEvent, event_id, "clinical event"))

    def list_events(
        self,
        limit: int = 50,
        offset: int = 0,
        patient_id: int | None = None,
        episode_id: int | None = None,
        event_type: str | None = None,
    ) -> Page[EventOut]:
        stmt = select(ClinicalEvent).order_by(ClinicalEvent.id)
        if patient_id is not None:
            stmt = stmt.where(ClinicalEvent.patient_id == patient_id)
        if episode_id is not None:
            stmt = stmt.where(ClinicalEvent.episode_id == episode_id)
        if event_type is not None:
            stmt = stmt.where(ClinicalEvent.event_type == event_type)
        with self._reading() as session:
            return self._page(session, stmt, EventOut, limit, offset)

    def update_event(self, event_id: int, patch: EventUpdate) -> EventOut:
        if patch.details is not None:
            with self._reading() as session:
                event_type = self._get(session, ClinicalEvent, event_id, "clinical event").event_type
            patch = patch.model_copy(update={"details": validate_event_details(event_type, patch.details)})
        with self.transaction() as session:
            event = self._get(session, ClinicalEvent, event_id, "clinical event")
            patient = checks.fetch_patient(session, event.patient_id)
            self._update(session, event, "clinical event", patch, lambda: checks.check_event(session, event, patient))
            return EventOut.model_validate(event)

    # ---- follow-up visits ----------------------------------------------------------------
    def create_follow_up(self, data: FollowUpIn) -> FollowUpOut:
        with self.transaction() as session:
            patient = checks.fetch_patient(session, data.patient_id)
            visit = FollowUpVisit(**data.model_dump())
            checks.check_follow_up(session, visit, patient)
            self._create(session, visit, "follow-up visit", data)
            return FollowUpOut.model_validate(visit)

    def get_follow_up(self, visit_id: int) -> FollowUpOut:
        with self._reading() as session:
            return FollowUpOut.model_validate(self._get(session, FollowUpVisit, visit_id, "follow-up visit"))

    def list_follow_ups(
        self, limit: int = 50, offset: int = 0, patient_id: int | None = None, episode_id: int | None = None
    ) -> Page[FollowUpOut]:
        stmt = select(FollowUpVisit).order_by(FollowUpVisit.id)
        if patient_id is not None:
            stmt = stmt.where(FollowUpVisit.patient_id == patient_id)
        if episode_id is not None:
            stmt = stmt.where(FollowUpVisit.episode_id == episode_id)
        with self._reading() as session:
            return self._page(session, stmt, FollowUpOut, limit, offset)

    def update_follow_up(self, visit_id: int, patch: FollowUpUpdate) -> FollowUpOut:
        with self.transaction() as session:
            visit = self._get(session, FollowUpVisit, visit_id, "follow-up visit")
            patient = checks.fetch_patient(session, visit.patient_id)
            self._update(
                session, visit, "follow-up visit", patch, lambda: checks.check_follow_up(session, visit, patient)
            )
            return FollowUpOut.model_validate(visit)

    # ---- assessments (written by engraft.registry.risk_profile) ------------------------
    def list_assessments(
        self, limit: int = 50, offset: int = 0, patient_id: int | None = None, episode_id: int | None = None
    ) -> Page[AssessmentOut]:
        stmt = select(Assessment).order_by(Assessment.id)
        if patient_id is not None:
            stmt = stmt.where(Assessment.patient_id == patient_id)
        if episode_id is not None:
            stmt = stmt.where(Assessment.episode_id == episode_id)
        with self._reading() as session:
            return self._page(session, stmt, AssessmentOut, limit, offset)

    # ---- observations (reads; bulk writes are in engraft.registry.observations) ---------
    def list_observations(
        self,
        limit: int = 100,
        offset: int = 0,
        patient_id: int | None = None,
        episode_id: int | None = None,
        loinc: str | None = None,
    ) -> Page[ObservationOut]:
        stmt = select(Observation).order_by(Observation.patient_id, Observation.observed_at, Observation.id)
        if patient_id is not None:
            stmt = stmt.where(Observation.patient_id == patient_id)
        if episode_id is not None:
            stmt = stmt.where(Observation.episode_id == episode_id)
        if loinc is not None:
            stmt = stmt.where(Observation.loinc == loinc)
        with self._reading() as session:
            return self._page(session, stmt, ObservationOut, limit, offset)


__all__ = ["RegistryError", "RegistryService"]
