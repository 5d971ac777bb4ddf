"""Tidy tables of outcome results as pandas, polars or Arrow frames (one row per time, one column per figure).

Results of the estimators are numpy arrays; researchers read them as data frames. Columns are
assembled once as an Arrow table (zero-copy from numpy for numeric columns), then handed over
as a pandas or polars frame, or left as the :class:`pyarrow.Table`. Nothing here reads or writes
files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm

from engraft.outcomes._validation import OutcomeInputError, check_probability

if TYPE_CHECKING:  # imported when a frame is asked for: the estimators alone do not need Arrow
    import pyarrow as pa


class FrameKind(StrEnum):
    """The data-frame libraries a tidy result can be returned as."""

    PANDAS = "pandas"
    POLARS = "polars"
    ARROW = "arrow"


def frame_kind(value: FrameKind | str) -> FrameKind:
    """``value`` as a :class:`FrameKind`, refusing anything else with the accepted values."""
    try:
        return FrameKind(value)
    except ValueError:
        accepted = ", ".join(repr(k.value) for k in FrameKind)
        raise OutcomeInputError(f"kind: got {value!r}; expected one of {accepted}") from None


def arrow_table(columns: Mapping[str, NDArray[Any] | pa.Array]) -> pa.Table:
    """An Arrow table of equally long columns (numpy arrays are wrapped, not copied, where Arrow can)."""
    import pyarrow as pa

    arrays = {
        name: values if isinstance(values, pa.Array) else pa.array(np.asarray(values))
        for name, values in columns.items()
    }
    return pa.table(arrays)


def to_frame(columns: Mapping[str, NDArray[Any] | pa.Array] | pa.Table, kind: FrameKind | str) -> Any:
    """``columns`` as a frame of ``kind``: a ``pandas.DataFrame``, a ``polars.DataFrame`` or a ``pyarrow.Table``.

    NaN stays NaN (a float, not a null) so that the numbers equal the estimators' arrays.
    """
    import pyarrow as pa

    which = frame_kind(kind)
    table = columns if isinstance(columns, pa.Table) else arrow_table(columns)
    if which is FrameKind.ARROW:
        return table
    if which is FrameKind.POLARS:
        import polars as pl

        return pl.from_arrow(table)
    return table.to_pandas()


def coefficient_frame(
    names: Sequence[str],
    coef: NDArray[np.float64],
    std_error: NDArray[np.float64],
    conf_level: float,
    ratio_name: str,
    kind: FrameKind | str,
) -> Any:
    """A regression's coefficient table: term, coef, exp(coef) as ``ratio_name``, std_error, z, p, Wald limits."""
    import pyarrow as pa

    level = check_probability(conf_level, "conf_level")
    q = float(norm.ppf(1.0 - (1.0 - level) / 2.0))
    z = coef / std_error
    return to_frame(
        {
            "term": pa.array(list(names), type=pa.string()),
            "coef": coef,
            ratio_name: np.exp(coef),
            "std_error": std_error,
            "z": z,
            "p_value": 2.0 * norm.sf(np.abs(z)),
            "lower": np.exp(coef - q * std_error),
            "upper": np.exp(coef + q * std_error),
        },
        kind,
    )
