"""Binary COPY payloads: decoded independently here, and read back from PostgreSQL."""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from engraft.registry.binary_copy import HEADER, TRAILER, CopyColumn, encode, microseconds_since_postgres_epoch
from tests.database_fixtures import fresh_database


def decode(payload: bytes, kinds: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """A plain reading of PostgreSQL's binary COPY format, field by field."""
    assert payload.startswith(HEADER) and payload.endswith(TRAILER)
    at, rows = len(HEADER), []
    while payload[at : at + 2] != TRAILER:
        (count,) = struct.unpack_from("!h", payload, at)
        assert count == len(kinds)
        at += 2
        row: list[Any] = []
        for kind in kinds:
            (length,) = struct.unpack_from("!i", payload, at)
            at += 4
            if length == -1:
                row.append(None)
                continue
            field = payload[at : at + length]
            at += length
            if kind == "text":
                row.append(field.decode())
            else:
                row.append(
                    struct.unpack({"int4": "!i", "int8": "!q", "float8": "!d", "timestamptz": "!q"}[kind], field)[0]
                )
        rows.append(tuple(row))
    assert at + 2 == len(payload)
    return rows


rows_strategy = st.lists(
    st.tuples(
        st.integers(-(2**31), 2**31 - 1),
        st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1)),
        st.integers(-(2**62), 2**62),
        st.floats(allow_nan=False),
        st.text(max_size=12),
    ),
    max_size=40,
)


@given(rows_strategy)
def test_payload_decodes_to_the_columns_it_was_built_from(rows: list[tuple[int, int | None, int, float, str]]) -> None:
    n = len(rows)
    nullable = np.array([0 if r[1] is None else r[1] for r in rows], np.int64)
    columns = [
        CopyColumn("int4", np.array([r[0] for r in rows], np.int64)),
        CopyColumn("int4", nullable, null=np.array([r[1] is None for r in rows], np.bool_)),
        CopyColumn("int8", np.array([r[2] for r in rows], np.int64)),
        CopyColumn("float8", np.array([r[3] for r in rows], np.float64)),
        CopyColumn("text", text=[r[4].encode() for r in rows]),
    ]
    assert decode(encode(columns, n), ("int4", "int4", "int8", "float8", "text")) == rows


def test_column_length_and_text_nulls_are_checked() -> None:
    with pytest.raises(ValueError, match="needs 2 values"):
        encode([CopyColumn("int4", np.array([1]))], 2)
    with pytest.raises(ValueError, match="NULL is not supported"):
        encode([CopyColumn("text", text=[b"a"], null=np.array([True]))], 1)


@pytest.fixture
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database("postgresql", tmp_path_factory) as url:
        yield url


@pytest.mark.postgres
def test_postgresql_reads_back_what_was_encoded(postgres_url: str) -> None:
    moments = [
        dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2024, 5, 2, 8, 30, tzinfo=dt.UTC),
    ]
    payload = encode(
        [
            CopyColumn("int4", np.array([1, 2])),
            CopyColumn("int4", np.array([7, 0]), null=np.array([False, True])),
            CopyColumn("timestamptz", np.array([microseconds_since_postgres_epoch(m) for m in moments])),
            CopyColumn("float8", np.array([0.1, -1e300])),
            CopyColumn("text", text=[b"10*9/L", "µmol/L ünïcode".encode()]),
        ],
        2,
    )
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (a integer, b integer, c timestamptz, d double precision, e varchar(32))"))
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy("COPY t FROM STDIN WITH (FORMAT binary)") as copy:
            copy.write(payload)
        stored = conn.execute(text("SELECT a, b, c, d, e FROM t ORDER BY a")).all()
    engine.dispose()
    assert [tuple(r) for r in stored] == [
        (1, 7, moments[0], 0.1, "10*9/L"),
        (2, None, moments[1], -1e300, "µmol/L ünïcode"),
    ]
