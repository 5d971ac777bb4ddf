"""Engine and session factory: a SQLite file by default, PostgreSQL via ``ENGRAFT_DATABASE_URL``.

SQLite is opened in WAL mode with foreign keys enforced, so the zero-set-up default keeps the
same integrity guarantees as PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from engraft.config.home import engraft_home
from engraft.registry.connection_liveness import ping_after_idle

DATABASE_URL_ENV = "ENGRAFT_DATABASE_URL"


def default_database_path() -> Path:
    """``$ENGRAFT_HOME/engraft.db``, else ``~/.local/share/engraft/engraft.db``."""
    return engraft_home() / "engraft.db"


def database_url(url: str | None = None) -> str:
    """The URL to use: explicit argument, then ``ENGRAFT_DATABASE_URL``, then the default SQLite file."""
    if url:
        return normalise_url(url)
    env = os.environ.get(DATABASE_URL_ENV)
    if env:
        return normalise_url(env)
    return f"sqlite:///{default_database_path()}"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (the only PostgreSQL driver installed)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, issue BEGIN, so savepoints nest inside a real
    # transaction (SQLAlchemy's documented pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """BEGIN, or BEGIN IMMEDIATE for writes (execution option ``sqlite_begin``).

    A write transaction takes the write lock up front, so a concurrent writer waits (busy timeout)
    instead of failing when it tries to upgrade a read snapshot another writer has outdated.
    """
    mode = connection.get_execution_options().get("sqlite_begin", "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine; for a SQLite file, create its folder and set WAL and foreign keys."""
    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        path = resolved.split("///", 1)[1] if "///" in resolved else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(resolved, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(resolved, **kwargs)
    ping_after_idle(engine)  # not SQLAlchemy's pre-ping: a round trip at every check-out
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
