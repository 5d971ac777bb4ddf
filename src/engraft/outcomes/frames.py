"""Columns of a data frame (pandas, polars, Arrow) read for the estimators, with errors naming row and column.

Researchers hold their data in a frame and name its columns, as in R ``survfit(Surv(time, status)
~ group, data = df)``. Every frame is turned into an Arrow table first (pandas through
``pyarrow.Table.from_pandas``, polars through ``to_arrow()``, anything else speaking the Arrow
PyCapsule stream interface through ``pyarrow.table``), only the named columns, so one reader
serves all of them and numeric columns reach numpy without a copy. A missing value (null; NaN in
pandas), a negative or non-numeric time, an unexpected status code or a missing group label is
refused with the column, the row (counted from 0, in frame order), the value and what was
expected; nothing is dropped silently.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from engraft.outcomes._validation import FloatArray, IntArray, OutcomeInputError
from engraft.outcomes.tidy import FrameKind


def _is_instance(frame: object, module: str, name: str) -> bool:
    loaded = sys.modules.get(module)  # a frame of a library never imported cannot be one of its frames
    return loaded is not None and isinstance(frame, getattr(loaded, name))


def kind_of(frame: object) -> FrameKind:
    """Which library ``frame`` belongs to (any other Arrow-speaking object counts as Arrow)."""
    if _is_instance(frame, "pandas", "DataFrame"):
        return FrameKind.PANDAS
    if _is_instance(frame, "polars", "DataFrame"):
        return FrameKind.POLARS
    return FrameKind.ARROW


def arrow_columns(frame: object, columns: Sequence[tuple[str, str]]) -> pa.Table:
    """The (column, parameter naming it) pairs of ``columns`` of ``frame`` as one Arrow table.

    A column the frame lacks is refused with the parameter that named it and the frame's columns.
    """
    names = _column_names(frame)
    for column, parameter in columns:
        if not isinstance(column, str) or column not in names:
            raise OutcomeInputError(f"{parameter}: got {column!r}; expected one of the frame's columns {names}")
    wanted = list(dict.fromkeys(column for column, _ in columns))
    kind = kind_of(frame)
    try:
        if kind is FrameKind.PANDAS:
            table = pa.Table.from_pandas(frame[wanted], preserve_index=False)  # type: ignore[index]
        elif kind is FrameKind.POLARS:
            table = frame.select(wanted).to_arrow()  # type: ignore[attr-defined]
        else:
            table = _as_table(frame).select(wanted)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:  # e.g. a pandas column mixing numbers and text
        raise OutcomeInputError(f"columns {wanted}: could not be read ({exc}); expected one type per column") from None
    if table.num_rows == 0:
        raise OutcomeInputError("frame: got 0 rows; expected one row per subject (transplant)")
    return table


def _as_table(frame: object) -> pa.Table:
    if isinstance(frame, pa.Table):
        return frame
    if isinstance(frame, pa.RecordBatch):
        return pa.Table.from_batches([frame])
    if hasattr(frame, "__arrow_c_stream__"):
        return pa.table(frame)
    raise OutcomeInputError(
        f"frame: got a {type(frame).__name__}; expected a pandas or polars DataFrame or an Arrow table"
    )


def _column_names(frame: object) -> list[str]:
    kind = kind_of(frame)
    if kind is FrameKind.PANDAS:
        return [str(c) for c in frame.columns]  # type: ignore[attr-defined]
    if kind is FrameKind.POLARS:
        return list(frame.columns)  # type: ignore[attr-defined]
    return list(_as_table(frame).column_names)


def _where(column: str, row: int) -> str:
    return f"column {column!r}, row {row}"


def _first_null(values: pa.ChunkedArray, column: str, expected: str) -> None:
    if values.null_count:
        row = int(np.argmax(pc.is_null(values).to_numpy(zero_copy_only=False)))
        raise OutcomeInputError(f"{_where(column, row)}: got a missing value (null or NaN); expected {expected}")


def _as_float(values: pa.ChunkedArray, column: str, expected: str) -> FloatArray:
    _first_null(values, column, expected)
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    if pa.types.is_decimal(values.type):
        values = values.cast(pa.float64())
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type) or pa.types.is_boolean(values.type)):
        for row, value in enumerate(values.to_pylist()):  # the error path only: find the first unreadable cell
            try:
                float(value)
            except (TypeError, ValueError):
                raise OutcomeInputError(f"{_where(column, row)}: got {value!r}; expected {expected}") from None
        raise OutcomeInputError(f"column {column!r}: got type {values.type}; expected numbers ({expected})")
    return np.asarray(values.to_numpy(), dtype=np.float64)


def times(table: pa.Table, column: str, *, allow_zero: bool = True) -> FloatArray:
    """Follow-up times of ``column``: finite numbers >= 0 (> 0 unless ``allow_zero``)."""
    bound = ">= 0" if allow_zero else "> 0"
    out = _as_float(table.column(column), column, f"a time {bound}")
    bad = ~np.isfinite(out) | ((out < 0) if allow_zero else (out <= 0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise OutcomeInputError(f"{_where(column, row)}: got {float(out[row])!r}; expected a finite time {bound}")
    return out


def is_member(values: IntArray, allowed: Sequence[int]) -> NDArray[np.bool_]:
    """``np.isin(values, allowed)`` for integer codes; a lookup table when the codes span a small range."""
    codes = np.asarray(sorted(set(allowed)), dtype=np.int64)
    lo, hi = int(codes[0]), int(codes[-1])
    if hi - lo > 4096:
        return np.asarray(np.isin(values, codes))
    table = np.zeros(hi - lo + 2, dtype=bool)  # the last slot stands for every value outside [lo, hi]
    table[codes - lo] = True
    slot = values - lo
    slot[(values < lo) | (values > hi)] = hi - lo + 1
    return np.asarray(table[slot])


def codes(table: pa.Table, column: str, allowed: Sequence[int]) -> IntArray:
    """Integer status codes of ``column``, each one of ``allowed`` (booleans read as 0/1)."""
    expected = f"a code in {sorted(set(allowed))}"
    values = table.column(column)
    if pa.types.is_integer(values.type) or pa.types.is_boolean(values.type):
        _first_null(values, column, expected)
        whole = np.asarray(values.to_numpy(), dtype=np.int64)
        bad = ~is_member(whole, allowed)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise OutcomeInputError(f"{_where(column, row)}: got {int(whole[row])!r}; expected {expected}")
        return whole
    raw = _as_float(values, column, expected)
    bad = ~np.isfinite(raw) | (raw != np.round(raw)) | ~np.isin(raw, np.asarray(allowed, dtype=np.float64))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = raw[row]
        shown = int(value) if np.isfinite(value) and value == np.round(value) else float(value)
        raise OutcomeInputError(f"{_where(column, row)}: got {shown!r}; expected {expected}")
    return raw.astype(np.int64)


@dataclass(frozen=True, slots=True)
class Grouping:
    """Each row's group (0..k-1) and each group's key: the values of the ``by`` columns, in R factor order.

    Groups are ordered as R orders factor levels: a categorical (dictionary) column in the order of
    its categories, any other column by sorted value (text in code-point order, as R sorts in the C locale);
    several columns vary the last fastest.
    """

    by: tuple[str, ...]
    code: IntArray
    keys: tuple[tuple[Any, ...], ...]

    def rows(self) -> list[IntArray]:
        """The row positions of each group, in frame order (one stable counting sort, not a mask per group)."""
        k = len(self.keys)
        small = self.code.astype(np.uint16) if k <= np.iinfo(np.uint16).max else self.code  # radix sort
        order = np.argsort(small, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(np.bincount(self.code, minlength=k))))
        return [order[bounds[g] : bounds[g + 1]] for g in range(k)]

    @property
    def labels(self) -> tuple[str, ...]:
        """R's strata names: ``"dis=0"``, ``"dis=0, tx=PB"``; ``"All"`` without ``by``."""
        if not self.by:
            return ("All",)
        return tuple(", ".join(f"{c}={v}" for c, v in zip(self.by, key, strict=True)) for key in self.keys)


def grouping(table: pa.Table, by: Sequence[str]) -> Grouping:
    """The groups of the rows of ``table`` by the columns ``by`` (one group without columns)."""
    n = table.num_rows
    if not by:
        return Grouping((), np.zeros(n, dtype=np.int64), ((),))
    combined = np.zeros(n, dtype=np.int64)
    level_sets: list[list[Any]] = []
    for column in by:
        code, levels = _levels(table.column(column), column)
        combined = combined * len(levels) + code
        level_sets.append(levels)
    present, dense = _dense(combined, int(np.prod([len(levels) for levels in level_sets], dtype=np.float64)))
    keys = []
    for value in present.tolist():
        key = []
        for levels in reversed(level_sets):
            value, k = divmod(value, len(levels))
            key.append(levels[k])
        keys.append(tuple(reversed(key)))
    return Grouping(tuple(by), dense.astype(np.int64).reshape(n), tuple(keys))


def _dense(combined: IntArray, cells: int) -> tuple[IntArray, IntArray]:
    """The combined codes present (sorted) and each row's position among them."""
    if cells <= 4 * combined.size + 1024:  # counting is linear; np.unique sorts
        present = np.flatnonzero(np.bincount(combined, minlength=cells))
        position = np.zeros(cells, dtype=np.int64)
        position[present] = np.arange(present.size)
        return present.astype(np.int64), position[combined]
    present, dense = np.unique(combined, return_inverse=True)
    return present.astype(np.int64), dense.astype(np.int64).reshape(combined.size)


def _levels(values: pa.ChunkedArray, column: str) -> tuple[IntArray, list[Any]]:
    """Each row's level (0..k-1) and the levels: a dictionary's own order, else sorted (Arrow does the work)."""
    _first_null(values, column, "a group label")
    if pa.types.is_floating(values.type):
        raw = values.to_numpy()
        bad = ~np.isfinite(raw)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise OutcomeInputError(f"{_where(column, row)}: got {float(raw[row])!r}; expected a group label")
    ordered = pa.types.is_dictionary(values.type)
    encoded = (values if ordered else values.dictionary_encode()).unify_dictionaries().combine_chunks()
    indices = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    dictionary = encoded.dictionary
    if ordered:
        return indices, dictionary.to_pylist()
    order = np.asarray(pc.array_sort_indices(dictionary).to_numpy(), dtype=np.int64)  # R: levels sorted
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[indices], dictionary.take(pa.array(order)).to_pylist()
