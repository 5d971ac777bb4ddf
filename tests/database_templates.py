"""Template databases for the tests: migrate once, load the demo cohort once, give each test a copy.

An Alembic upgrade from empty costs about 0.25 s on SQLite and 0.6 s on PostgreSQL, the shared demo
cohort several seconds; so each is done once and copied:

* Migrated template, one per pytest session (that is, per xdist worker): a SQLite file, and a
  PostgreSQL database ``engraft_<run>_tpl_<worker>`` whose schema ``engraft_test`` is migrated (the
  tests keep running in a schema of their own, through ``search_path`` in the URL, as they always
  did). A SQLite test gets a new copy of the file. A PostgreSQL test gets a database made by
  ``CREATE DATABASE engraft_<run>_<worker>_<hex> TEMPLATE ...``, emptied and checked after the test
  and handed to the next one, or dropped (tests/postgres_copies.py says why and how). The worker drops
  its template and copies at the end, also after failures.
* Demo cohort template, one per test run and database kind, shared by the workers (a file lock lets
  one worker load it while the others wait): a SQLite file and ``engraft_<run>_demo``. Each worker
  reads it through one read-only copy.

``<run>`` is a random id the controlling process hands to every worker, so runs by other people on
the same server never meet or drop each other's databases. At the end of the run the controller drops
whatever database named for the run is left (a worker that crashed) and removes the run's folder.
A SQLite template is left in rollback-journal mode with its write-ahead log folded in before it is
copied, so the file alone is the whole database; ``make_engine`` turns WAL back on in each copy.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3
import uuid
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from engraft.registry.database import make_engine
from engraft.registry.migrate import upgrade
from tests.conftest import require
from tests.demo_cohort import DemoLoad, load_shared_demo_cohort
from tests.postgres_copies import PostgresCopies

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: each worker builds its own demo template
    fcntl = None  # type: ignore[assignment]

TEST_SCHEMA = "engraft_test"
POSTGRES_USED = "postgresql-used"


@dataclass(frozen=True)
class RunInfo:
    """Where this process sits in the test run: the run's id, this worker's name, the run's shared folder."""

    run_id: str
    worker: str
    shared_dir: Path

    def database_name(self, *parts: str) -> str:
        return "_".join(("engraft", self.run_id, *parts))


class DatabaseTemplates:
    """The session's template databases, made on first use, and copies of them for single tests."""

    def __init__(self, run: RunInfo, tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> None:
        self.run = run
        self._tmp = tmp_path_factory
        self._postgres_url = postgres_url
        self._admin_engine: Engine | None = None
        self._postgres_ok: bool | None = None
        self._sqlite_template: Path | None = None
        self._postgres_template: str | None = None
        self._demo: dict[str, tuple[str, DemoLoad]] = {}
        self._shared_demo_copies: dict[str, str] = {}
        self._owned_databases: list[str] = []
        self._copies: PostgresCopies | None = None
        self._retired: list[str] = []

    # ---- copies for a test -------------------------------------------------------------------------

    @contextmanager
    def copy(self, kind: str) -> Iterator[str]:
        """URL of a database of the test's own, migrated to head and empty (given back when the block ends)."""
        if kind == "sqlite":
            target = self._tmp.mktemp("db") / "engraft.db"
            shutil.copyfile(self._migrated_sqlite(), target)
            yield f"sqlite:///{target}"
            return
        copies = self.postgres_copies()
        name = copies.take()
        try:
            yield self.postgres_database_url(name)
        finally:
            copies.give_back(name)

    def demo_load(self, kind: str) -> DemoLoad:
        """Summary and progress calls of the shared demo cohort on ``kind``."""
        return self._demo_entry(kind)[1]

    def shared_demo_copy(self, kind: str) -> str:
        """URL of this session's one copy of the demo cohort, for tests that only read (PostgreSQL refuses writes)."""
        if kind not in self._shared_demo_copies:
            if kind == "sqlite":
                target = self._tmp.mktemp("demo") / "engraft.db"
                shutil.copyfile(self._demo_template(kind), target)
                self._shared_demo_copies[kind] = f"sqlite:///{target}"
            else:
                name = self.run.database_name(self.run.worker, "demo")
                self._create_database(name, self._demo_template(kind))
                self._owned_databases.append(name)
                self._shared_demo_copies[kind] = self.postgres_database_url(name, read_only=True)
        return self._shared_demo_copies[kind]

    @contextmanager
    def demo_copy(self, kind: str) -> Iterator[str]:
        """URL of a writable copy of the demo cohort of the test's own (dropped when the block ends).

        For tests that read the cohort through the API: signing in writes accounts, sessions and audit rows.
        """
        if kind == "sqlite":
            target = self._tmp.mktemp("demo-rw") / "engraft.db"
            shutil.copyfile(self._demo_template(kind), target)
            yield f"sqlite:///{target}"
            return
        name = self.run.database_name(self.run.worker, "demo_rw", uuid.uuid4().hex[:8])
        self._create_database(name, self._demo_template(kind))
        try:
            yield self.postgres_database_url(name)
        finally:
            self._drop_database(name)

    def close(self) -> None:
        """Drop the databases this session made for itself (not the demo templates shared by the run).

        All at once: on PostgreSQL 15 each DROP DATABASE waits for a checkpoint, and drops waiting together share one.
        """
        try:
            left = self._copies.close() if self._copies is not None else []
            drop_databases_together(self._drop_database, [*left, *self._retired, *self._owned_databases])
        finally:
            if self._admin_engine is not None:
                self._admin_engine.dispose()

    # ---- migrated templates ------------------------------------------------------------------------

    def _migrated_sqlite(self) -> Path:
        if self._sqlite_template is None:
            path = self._tmp.mktemp("template") / "migrated.db"
            engine = make_engine(f"sqlite:///{path}")
            try:
                upgrade(engine)
            finally:
                engine.dispose()
            seal_sqlite(path)
            self._sqlite_template = path
        return self._sqlite_template

    def _migrated_postgres(self) -> str:
        if self._postgres_template is None:
            name = self.run.database_name("tpl", self.run.worker)
            self._create_database(name, None)
            self._owned_databases.append(name)
            engine = make_engine(self.postgres_database_url(name))
            try:
                with engine.begin() as conn:
                    conn.execute(text(f"CREATE SCHEMA {TEST_SCHEMA}"))
                upgrade(engine)
            finally:
                engine.dispose()
            self._postgres_template = name
        return self._postgres_template

    def postgres_copies(self, *, reuse: bool | None = None) -> PostgresCopies:
        """A set of PostgreSQL copies of the migrated template, reused unless ``reuse`` (default: environment) is off.

        Without ``reuse``, this session's set, which ``copy`` takes from and gives back to; with it, a
        set of the caller's own, to hand to :meth:`retire` when done.
        """
        if reuse is not None:
            return PostgresCopies(self._new_postgres_copy, self._drop_database, self.postgres_database_url, reuse=reuse)
        if self._copies is None:
            self._copies = PostgresCopies(self._new_postgres_copy, self._drop_database, self.postgres_database_url)
        return self._copies

    def retire(self, copies: PostgresCopies) -> None:
        """Have the databases of a set from :meth:`postgres_copies` dropped with the session's own, at its end."""
        self._retired.extend(copies.close())

    def _new_postgres_copy(self) -> str:
        name = self.run.database_name(self.run.worker, uuid.uuid4().hex[:12])
        self._create_database(name, self._migrated_postgres())
        return name

    # ---- demo cohort templates (one per run and kind, shared by the workers) -----------------------

    def _demo_template(self, kind: str) -> str:
        return self._demo_entry(kind)[0]

    def _demo_entry(self, kind: str) -> tuple[str, DemoLoad]:
        """(template file or database, what loading it returned); the first worker to ask loads it."""
        if kind in self._demo:
            return self._demo[kind]
        folder = self.run.shared_dir
        folder.mkdir(parents=True, exist_ok=True)
        suffix = kind if fcntl is not None else f"{kind}-{self.run.worker}"
        finished = folder / f"demo-{suffix}.pickle"
        with _exclusive(folder / f"demo-{suffix}.lock"):
            if kind == "sqlite":
                template = str(folder / f"demo-{suffix}.db")
                if not finished.exists():
                    Path(template).unlink(missing_ok=True)
                    shutil.copyfile(self._migrated_sqlite(), template)
                    load = load_shared_demo_cohort(f"sqlite:///{template}")
                    seal_sqlite(Path(template))
                    _write_atomically(finished, pickle.dumps(load))
            else:
                template = self.run.database_name("demo" if fcntl is not None else f"demo_{self.run.worker}")
                if not finished.exists():
                    self._drop_database(template)
                    self._create_database(template, self._migrated_postgres())
                    load = load_shared_demo_cohort(self.postgres_database_url(template))
                    _write_atomically(finished, pickle.dumps(load))
            entry = (template, pickle.loads(finished.read_bytes()))
        self._demo[kind] = entry
        return entry

    # ---- PostgreSQL --------------------------------------------------------------------------------

    def _admin(self) -> Engine:
        if self._postgres_ok is None:
            self._postgres_ok = postgres_available(self._postgres_url)
        require(self._postgres_ok, f"PostgreSQL not reachable at {self._postgres_url.split('@')[-1]}")
        if self._admin_engine is None:
            self._admin_engine = create_engine(self._postgres_url, isolation_level="AUTOCOMMIT")
        return self._admin_engine

    def _create_database(self, name: str, template: str | None) -> None:
        admin = self._admin()
        self.run.shared_dir.mkdir(parents=True, exist_ok=True)
        (self.run.shared_dir / POSTGRES_USED).touch()  # the controller sweeps this run's databases at the end
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")))

    def _drop_database(self, name: str) -> None:
        with self._admin().connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    def postgres_database_url(self, name: str, *, read_only: bool = False) -> str:
        """URL of database ``name`` on the test server, in schema ``engraft_test``, refusing writes if ``read_only``."""
        url = make_url(self._postgres_url)
        options = [url.query["options"]] if isinstance(url.query.get("options"), str) else []
        options.append(f"-csearch_path={TEST_SCHEMA}")
        if read_only:
            options.append("-cdefault_transaction_read_only=on")
        url = url.set(database=name).update_query_dict({"options": " ".join(options)})
        return url.render_as_string(hide_password=False)


def make_read_only(engine: Engine) -> None:
    """Refuse writes on every connection of a SQLite engine (``PRAGMA query_only``)."""

    def query_only(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute("PRAGMA query_only=ON")

    event.listen(engine, "connect", query_only)


def seal_sqlite(path: Path) -> None:
    """Fold the write-ahead log into the file and leave WAL mode, so the file alone can be copied."""
    with closing(sqlite3.connect(path)) as conn:
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    wal = path.with_name(path.name + "-wal")
    if mode != "delete" or wal.exists():
        raise RuntimeError(f"{path}: journal mode {mode!r}, WAL file present: {wal.exists()}; cannot copy it safely")


def postgres_available(url: str) -> bool:
    try:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
        return True
    except SQLAlchemyError:
        return False


def drop_run_databases(postgres_url: str, run_id: str) -> None:
    """Drop every database named for the run ``run_id`` (left by a worker that crashed, or the demo template)."""
    prefix = f"engraft_{run_id}_"
    try:
        admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                query = text("SELECT datname FROM pg_database WHERE starts_with(datname, :prefix)")
                names = list(conn.execute(query, {"prefix": prefix}).scalars())

            def drop(name: str) -> None:
                with admin.connect() as conn:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

            drop_databases_together(drop, names)
        finally:
            admin.dispose()
    except SQLAlchemyError as error:
        warnings.warn(f"could not drop the test databases {prefix}*: {error}", stacklevel=1)


def drop_databases_together(drop: Callable[[str], None], names: list[str]) -> None:
    """Drop ``names`` at once: each DROP DATABASE waits for a checkpoint, and drops waiting together share one."""
    if names:
        with ThreadPoolExecutor(max_workers=min(len(names), 8), thread_name_prefix="drop-database") as pool:
            for done in [pool.submit(drop, name) for name in names]:
                done.result()


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` across processes (the xdist workers)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)
