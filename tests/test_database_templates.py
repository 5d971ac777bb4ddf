"""The test databases themselves: copies start migrated and empty, and a reused copy keeps nothing of its last test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.migrate import current_revision, downgrade, head_revision
from engraft.registry.schemas.patient import CentreIn
from engraft.registry.service import RegistryService
from tests.database_fixtures import POSTGRES_URL
from tests.database_templates import DatabaseTemplates
from tests.postgres_copies import PostgresCopies


@pytest.fixture
def copies(database_templates: DatabaseTemplates) -> Iterator[PostgresCopies]:
    """Copies of the session's template that are reused, whatever ENGRAFT_TEST_FRESH_DATABASES says."""
    copies = database_templates.postgres_copies(reuse=True)
    try:
        yield copies
    finally:
        database_templates.retire(copies)


def _add_centre(url: str, code: str) -> int:
    engine = make_engine(url)
    try:
        service = RegistryService(make_session_factory(engine), actor="test")
        return service.create_centre(CentreIn(code=code, name="Centre", country="GB")).id
    finally:
        engine.dispose()


def _rows(url: str, table: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_copy_is_migrated_and_empty(database_templates: DatabaseTemplates, kind: str) -> None:
    with database_templates.copy(kind) as url:
        engine = make_engine(url)
        try:
            assert current_revision(engine) == head_revision()
        finally:
            engine.dispose()
        assert _rows(url, "centre") == _rows(url, "audit_entry") == 0
        assert _add_centre(url, "C1") == 1


def test_sqlite_copies_are_whole_files_in_wal_mode(database_templates: DatabaseTemplates) -> None:
    with database_templates.copy("sqlite") as first, database_templates.copy("sqlite") as second:
        assert first != second
        path = Path(first.removeprefix("sqlite:///"))
        assert not path.with_name(path.name + "-wal").exists(), "copied without its write-ahead log"
        engine = make_engine(first)
        try:
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        finally:
            engine.dispose()
        _add_centre(first, "C1")
        assert _rows(second, "centre") == 0


@pytest.mark.postgres
def test_a_reused_postgresql_copy_keeps_nothing_of_the_last_test(
    database_templates: DatabaseTemplates, copies: PostgresCopies
) -> None:
    name = copies.take()
    url = database_templates.postgres_database_url(name)
    assert _add_centre(url, "C1") == 1 and _add_centre(url, "C2") == 2
    left_open = make_engine(url).connect()  # a connection a test forgot to close
    left_open.execute(text("SELECT count(*) FROM centre"))
    copies.give_back(name)
    with pytest.raises(DBAPIError):
        left_open.execute(text("SELECT 1"))
    left_open.invalidate()
    again = copies.take()
    try:
        assert again == name, "the emptied copy is handed out again"
        assert _rows(url, "centre") == _rows(url, "audit_entry") == 0
        assert _add_centre(url, "C3") == 1, "sequences start again"
    finally:
        copies.give_back(again)


@pytest.mark.postgres
def test_a_postgresql_copy_whose_schema_changed_is_not_reused(
    database_templates: DatabaseTemplates, copies: PostgresCopies
) -> None:
    name = copies.take()
    engine = make_engine(database_templates.postgres_database_url(name))
    try:
        downgrade(engine, "0004")
    finally:
        engine.dispose()
    copies.give_back(name)
    other = copies.take()
    try:
        assert other != name
        engine = make_engine(database_templates.postgres_database_url(other))
        try:
            assert current_revision(engine) == head_revision()
        finally:
            engine.dispose()
    finally:
        copies.give_back(other)


@pytest.mark.postgres
def test_a_postgresql_copy_with_an_extra_table_is_not_reused(
    database_templates: DatabaseTemplates, copies: PostgresCopies
) -> None:
    name = copies.take()
    engine = make_engine(database_templates.postgres_database_url(name))
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE public.left_behind (id integer)"))
    finally:
        engine.dispose()
    copies.give_back(name)
    other = copies.take()
    copies.give_back(other)
    assert other != name


@pytest.mark.postgres
def test_without_reuse_a_copy_is_dropped_after_its_test(database_templates: DatabaseTemplates) -> None:
    copies = database_templates.postgres_copies(reuse=False)
    try:
        name = copies.take()
        assert _database_exists(name)
        copies.give_back(name)
        assert not _database_exists(name)
    finally:
        database_templates.retire(copies)


def _database_exists(name: str) -> bool:
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            query = text("SELECT count(*) FROM pg_database WHERE datname = :name")
            return bool(conn.execute(query, {"name": name}).scalar_one())
    finally:
        engine.dispose()
