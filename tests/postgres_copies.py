"""Per-test PostgreSQL databases copied from a migrated template, emptied and handed to the next test.

``CREATE DATABASE ... TEMPLATE`` copies the whole template, system catalogues included (about 8.6 MB,
all written to the WAL), and on PostgreSQL 15 every ``DROP DATABASE`` waits for a checkpoint: on the
shared test machine a copy and a drop cost 0.4-2 s together, more than the Alembic upgrade they replace
(docs/benchmarks.md, "Test suite wall time"). So a copy is made only when no emptied one is waiting,
and after each test its copy is put back to the template's state instead of dropped: other connections
to it are ended, every registry table is emptied (``DELETE``, children first) and every sequence is
reset, then a fingerprint of the whole database's definitions is compared with the fresh copy's:
schemas, tables and their columns, defaults, constraints, indexes, triggers, functions, sequence
positions, extensions, database settings and the Alembic revision. A copy that does not match (a test
downgraded it, added a table, left a lock) is set aside, never reused. All copies are dropped together
at the session's end, when the drops can share their checkpoints.

``ENGRAFT_TEST_FRESH_DATABASES=1`` turns reuse off: every test gets a new copy, dropped after the test.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from engraft.registry.models import Base

FRESH_DATABASES_ENV = "ENGRAFT_TEST_FRESH_DATABASES"

# Everything a test could change in a database's definitions, as one digest (system schemas excluded).
FINGERPRINT = text(
    r"""
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\_%'
)
SELECT md5(concat_ws(' | ',
    (SELECT string_agg(nspname, ',' ORDER BY nspname) FROM ns),
    (SELECT string_agg(concat_ws(',', ns.nspname, c.relname, c.relkind, c.relpersistence, c.reloptions::text,
                                 c.relacl::text, c.relrowsecurity), ';' ORDER BY ns.nspname, c.relname)
       FROM pg_class c JOIN ns ON ns.oid = c.relnamespace),
    (SELECT string_agg(concat_ws(',', ns.nspname, c.relname, a.attname, a.atttypid, a.atttypmod, a.attnotnull,
                                 a.attcollation, a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid)),
                       ';' ORDER BY ns.nspname, c.relname, a.attnum)
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN ns ON ns.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped),
    (SELECT string_agg(concat_ws(',', ns.nspname, con.conname, con.convalidated, pg_get_constraintdef(con.oid)),
                       ';' ORDER BY ns.nspname, con.conname)
       FROM pg_constraint con JOIN ns ON ns.oid = con.connamespace),
    (SELECT string_agg(concat_ws(',', pg_get_indexdef(i.indexrelid), i.indisvalid), ';' ORDER BY ns.nspname, c.relname)
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN ns ON ns.oid = c.relnamespace),
    (SELECT string_agg(concat_ws(',', t.tgname, t.tgenabled, pg_get_triggerdef(t.oid)), ';'
                       ORDER BY ns.nspname, c.relname, t.tgname)
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns ON ns.oid = c.relnamespace),
    (SELECT string_agg(concat_ws(',', ns.nspname, p.proname, p.prosrc, p.proconfig::text, p.proacl::text),
                       ';' ORDER BY ns.nspname, p.proname)
       FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace),
    (SELECT string_agg(concat_ws(',', schemaname, sequencename, last_value), ';' ORDER BY schemaname, sequencename)
       FROM pg_sequences),
    (SELECT string_agg(extname || ' ' || extversion, ',' ORDER BY extname) FROM pg_extension),
    (SELECT string_agg(setconfig::text, ';' ORDER BY setrole) FROM pg_db_role_setting
      WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())),
    (SELECT string_agg(version_num, ',') FROM alembic_version)
))
"""
)
END_OTHER_CONNECTIONS = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
SEQUENCES = text("SELECT schemaname, sequencename FROM pg_sequences WHERE schemaname = current_schema()")


class PostgresCopies:
    """Copies of one migrated template database, each used by one test at a time."""

    def __init__(
        self,
        make_copy: Callable[[], str],
        drop: Callable[[str], None],
        database_url: Callable[[str], str],
        *,
        reuse: bool | None = None,
    ) -> None:
        self._make_copy = make_copy
        self._drop = drop
        self._database_url = database_url
        self._reuse = os.environ.get(FRESH_DATABASES_ENV) != "1" if reuse is None else reuse
        self._idle: list[str] = []
        self._engines: dict[str, Engine] = {}
        self._pristine: str | None = None
        self._discarded: list[str] = []

    def take(self) -> str:
        """Name of a database in the template's state, used by nobody else until it is given back."""
        if self._idle:
            return self._idle.pop()
        name = self._make_copy()
        if self._reuse and self._pristine is None:
            with self._engine(name).connect() as conn:
                self._pristine = str(conn.execute(FINGERPRINT).scalar_one())
        return name

    def give_back(self, name: str) -> None:
        """Empty ``name`` for the next test, or set it aside (never used again) if it cannot be brought back.

        With reuse turned off, drop it at once.
        """
        if not self._reuse:
            self._drop(name)
            return
        if self._reset(name):
            self._idle.append(name)
            return
        engine = self._engines.pop(name, None)
        if engine is not None:
            engine.dispose()
        self._discarded.append(name)

    def close(self) -> list[str]:
        """Every copy this session made, to be dropped together (DROP DATABASEs waiting together share a checkpoint)."""
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        left, self._idle, self._discarded = [*self._idle, *self._discarded], [], []
        return left

    def _engine(self, name: str) -> Engine:
        if name not in self._engines:
            self._engines[name] = create_engine(self._database_url(name), poolclass=NullPool)
        return self._engines[name]

    def _reset(self, name: str) -> bool:
        try:
            with self._engine(name).connect() as conn:
                conn.execute(END_OTHER_CONNECTIONS)
                conn.commit()
                with conn.begin():
                    _empty_registry(conn)
                return conn.execute(FINGERPRINT).scalar_one() == self._pristine
        except SQLAlchemyError:
            return False


def _empty_registry(conn: Connection) -> None:
    """Delete every row of the registry's tables (children first) and restart every sequence.

    The audit log refuses DELETE by trigger (migration 0007); emptying a test copy for the next test runs
    with triggers off for this transaction only (``session_replication_role = replica``, a superuser
    setting), as dropping the database would.
    """
    conn.execute(text("SET LOCAL lock_timeout = '10s'"))
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    for table in reversed(Base.metadata.sorted_tables):
        conn.execute(table.delete())
    for schema, sequence in conn.execute(SEQUENCES).all():
        conn.execute(
            text("SELECT setval(format('%I.%I', CAST(:schema AS text), CAST(:sequence AS text)), 1, false)"),
            {"schema": schema, "sequence": sequence},
        )
