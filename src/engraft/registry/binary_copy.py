"""PostgreSQL binary ``COPY`` payloads built column-wise with NumPy.

Row-by-row adaptation (``copy.write_row``) cost about 7 µs per observation, most of the load
budget; building the whole payload from columns takes well under 1 µs per row. The layout is
PostgreSQL's documented binary format (signature, flags, header extension, then per tuple a
16-bit field count and, per field, a 32-bit length (-1 for NULL) followed by the value in network
byte order); see "COPY — Binary Format" in the PostgreSQL manual.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
HEADER = SIGNATURE + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
POSTGRES_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

ColumnKind = Literal["int4", "int8", "float8", "timestamptz", "text"]
_WIDTH: dict[str, tuple[int, str]] = {
    "int4": (4, ">i4"),
    "int8": (8, ">i8"),
    "float8": (8, ">f8"),
    "timestamptz": (8, ">i8"),
}


@dataclass(frozen=True, slots=True)
class CopyColumn:
    """One column of a binary COPY: fixed-width ``values`` (NumPy) or ``text`` (UTF-8 bytes per row).

    ``timestamptz`` values are microseconds since 2000-01-01 UTC; ``null`` marks NULL rows.
    """

    kind: ColumnKind
    values: npt.NDArray[np.generic] | None = None
    text: Sequence[bytes] | None = None
    null: npt.NDArray[np.bool_] | None = None


def microseconds_since_postgres_epoch(moment: dt.datetime) -> int:
    """The binary-COPY representation of a time-zone-aware timestamp."""
    return (moment - POSTGRES_EPOCH) // dt.timedelta(microseconds=1)


def encode(columns: Sequence[CopyColumn], rows: int) -> bytes:
    """The complete binary COPY payload (header, ``rows`` tuples, trailer) for ``columns``."""
    return HEADER + encode_tuples(columns, rows) + TRAILER


def encode_tuples(columns: Sequence[CopyColumn], rows: int) -> bytes:
    """``rows`` tuples without header or trailer, so a long COPY can be sent in pieces."""
    if rows == 0:
        return b""
    widths: list[npt.NDArray[np.int64]] = []
    for column in columns:
        widths.append(_payload_lengths(column, rows))
    row_bytes = np.full(rows, 2, np.int64)
    for width in widths:
        row_bytes += 4 + np.maximum(width, 0)
    starts = np.zeros(rows, np.int64)
    np.cumsum(row_bytes[:-1], out=starts[1:])
    buffer = np.zeros(int(row_bytes.sum()), np.uint8)
    cursor = starts.copy()
    _scatter(buffer, cursor, np.full(rows, len(columns), ">i2"), 2)
    cursor += 2
    for column, width in zip(columns, widths, strict=True):
        _scatter(buffer, cursor, width.astype(">i4"), 4)
        cursor += 4
        present = width >= 0
        if column.kind == "text":
            _scatter_text(buffer, cursor, column.text or (), np.maximum(width, 0))
        else:
            size, dtype = _WIDTH[column.kind]
            assert column.values is not None
            values = np.asarray(column.values).astype(dtype)
            _scatter(buffer, cursor[present], values[present], size)
        cursor += np.maximum(width, 0)
    return buffer.tobytes()


def _payload_lengths(column: CopyColumn, rows: int) -> npt.NDArray[np.int64]:
    if column.kind == "text":
        if column.text is None or len(column.text) != rows:
            raise ValueError(f"text column needs {rows} values")
        if column.null is not None:
            raise ValueError("NULL is not supported in text columns")
        lengths = np.fromiter(map(len, column.text), np.int64, rows)
    else:
        if column.values is None or len(column.values) != rows:
            raise ValueError(f"{column.kind} column needs {rows} values")
        lengths = np.full(rows, _WIDTH[column.kind][0], np.int64)
    if column.null is not None:
        lengths[column.null] = -1
    return lengths


def _scatter(
    buffer: npt.NDArray[np.uint8], at: npt.NDArray[np.int64], values: npt.NDArray[np.generic], size: int
) -> None:
    """Write fixed-size big-endian ``values`` at byte offsets ``at``."""
    if len(at) == 0:
        return
    raw = np.ascontiguousarray(values).view(np.uint8).reshape(len(at), size)
    buffer[at[:, None] + np.arange(size)] = raw


def _scatter_text(
    buffer: npt.NDArray[np.uint8], at: npt.NDArray[np.int64], text: Sequence[bytes], lengths: npt.NDArray[np.int64]
) -> None:
    """Write variable-length byte strings at offsets ``at``."""
    flat = np.frombuffer(b"".join(text), np.uint8)
    if flat.size == 0:
        return
    source_starts = np.zeros(len(lengths), np.int64)
    np.cumsum(lengths[:-1], out=source_starts[1:])
    buffer[np.repeat(at - source_starts, lengths) + np.arange(flat.size)] = flat
