"""What every part of the registry service shares: its sessions and transactions, its audit log, the HLA typing
check, and the generic read, page, update and create of one record.

A transaction commits everything done in it (including its audit entry) or nothing. Updates use optimistic
locking: the caller passes the version it read; a stale version, or a concurrent change between read and
write, raises :class:`VersionConflict` instead of silently overwriting the other edit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy import Select, Table, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.interfaces import ORMOption

from engraft.registry.audit import Actor, AuditAction
from engraft.registry.errors import (
    AuditUnavailable,
    DuplicateRecord,
    InvalidRecord,
    Problem,
    RecordNotFound,
    RegistryError,
    VersionConflict,
)
from engraft.registry.models import AuditEntry, Base
from engraft.registry.patient_reads import known_total
from engraft.registry.schemas.common import Page
from engraft.registry.typing_validation import TypingValidator, hla_typing_validator

ModelT = TypeVar("ModelT", bound=Base)
OutT = TypeVar("OutT", bound=BaseModel)
MAX_PAGE = 1000


def check_page(limit: int, offset: int) -> None:
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


def begin_write(session: Session) -> None:
    """On SQLite, take the write lock at BEGIN (see ``engraft.registry.database``)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


_AUDIT_INSERT = insert(cast(Table, AuditEntry.__table__))
"""An audit entry's INSERT (the column defaults, ``at`` among them, applied as the ORM applies them)."""


class RegistryCore:
    """The registry's sessions and the actor a service acts for; what the record kinds' methods are built on."""

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
                begin_write(session)
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
        check_page(limit, offset)
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
