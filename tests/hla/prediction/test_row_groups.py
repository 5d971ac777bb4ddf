"""The row grouping behind imputation equals ``np.unique(axis=0)``, also when the folded key must be renumbered."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engraft.hla.prediction.imputation import _row_groups


@settings(max_examples=200, deadline=None, database=None)
@given(
    rows=st.integers(1, 40).flatmap(
        lambda n: st.integers(1, 12).flatmap(
            lambda m: hnp.arrays(np.int64, (n, m), elements=st.one_of(st.integers(-1, 3), st.integers(-(2**40), 2**40)))
        )
    )
)
def test_groups_equal_numpy_unique(rows: np.ndarray) -> None:
    first, inverse = _row_groups(rows)
    assert (rows[first][inverse] == rows).all()  # every row is in the group of an equal row
    assert len(first) == np.unique(rows, axis=0).shape[0]  # and equal rows share one group
    assert (first == np.array([np.flatnonzero(inverse == g)[0] for g in range(len(first))])).all()
