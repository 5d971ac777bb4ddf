"""A pooled PostgreSQL connection is pinged only after it has been idle (registry.connection_liveness)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from engraft.registry.connection_liveness import IDLE_PING_SECONDS, ping_after_idle
from engraft.registry.database import make_engine

pytestmark = pytest.mark.parametrize("database_kind", [pytest.param("postgresql", marks=pytest.mark.postgres)])


def _engine(url: str, idle_seconds: float) -> Engine:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    ping_after_idle(engine, idle_seconds)
    return engine


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the pings of every PostgreSQL engine (the dialect's ping, as the pre-ping calls it)."""
    from sqlalchemy.dialects.postgresql._psycopg_common import _PGDialect_common_psycopg

    counted: list[int] = []
    real = _PGDialect_common_psycopg.do_ping

    def counting(self: Any, dbapi_connection: Any) -> bool:
        counted.append(1)
        return bool(real(self, dbapi_connection))

    monkeypatch.setattr(_PGDialect_common_psycopg, "do_ping", counting)
    yield counted


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _end_backend(url: str, pid: int) -> None:
    other = create_engine(url)
    try:
        with other.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        other.dispose()
    time.sleep(0.2)  # the backend exits


def test_the_application_engine_pings_after_a_second_idle(migrated_database_url: str, pings: list[int]) -> None:
    assert IDLE_PING_SECONDS == 1.0
    engine = make_engine(migrated_database_url)
    try:
        for _ in range(20):  # back-to-back units of work: no ping (the pre-ping sent 20)
            _backend(engine)
        assert pings == []
    finally:
        engine.dispose()


def test_a_connection_in_use_a_moment_ago_is_not_pinged(migrated_database_url: str, pings: list[int]) -> None:
    engine = _engine(migrated_database_url, idle_seconds=60.0)
    try:
        first = _backend(engine)
        assert [_backend(engine) for _ in range(5)] == [first] * 5
        assert pings == []
    finally:
        engine.dispose()


def test_an_idle_connection_found_dead_is_replaced_unseen(migrated_database_url: str, pings: list[int]) -> None:
    engine = _engine(migrated_database_url, idle_seconds=0.05)
    try:
        first = _backend(engine)
        _end_backend(migrated_database_url, first)  # the server ends it while the pool holds it (idle > 0.05 s)
        second = _backend(engine)  # pinged, found dead, replaced: the unit of work never sees it
        assert second != first
        assert len(pings) == 1
        time.sleep(0.1)
        assert _backend(engine) == second  # idle again: pinged, alive, kept
        assert len(pings) == 2
    finally:
        engine.dispose()


def test_a_dead_connection_within_the_idle_window_fails_once_then_the_pool_recovers(
    migrated_database_url: str, pings: list[int]
) -> None:
    """The trade-off the module states: that one unit of work fails (nothing committed), the next succeeds."""
    engine = _engine(migrated_database_url, idle_seconds=60.0)
    try:
        first = _backend(engine)
        _end_backend(migrated_database_url, first)
        with pytest.raises(DBAPIError) as failed:
            _backend(engine)
        assert failed.value.connection_invalidated
        assert _backend(engine) != first
        assert pings == []
    finally:
        engine.dispose()
