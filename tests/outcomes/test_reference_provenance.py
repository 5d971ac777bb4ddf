"""The committed R values record where they came from, and the data still match what R saw."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from tests.outcomes import _outcomes_data as data
from tests.outcomes._reference import REFERENCE_CSV, header, quantities, ref


def test_header_records_versions_and_date() -> None:
    text = "\n".join(header())
    assert "R version 4." in text
    assert "survival 3." in text and "cmprsk 2." in text
    assert "generated 20" in text
    assert REFERENCE_CSV.stat().st_size < 1_000_000


@pytest.mark.parametrize(
    ("case", "load"), [("data_bmt", data.bmt), ("data_cgvhd", data.cgvhd), ("data_syn", data.synthetic)]
)
def test_datasets_are_those_r_saw(case: str, load: Callable[[], pd.DataFrame]) -> None:
    df = load()
    msg = f"{case}: dataset differs from the one the R reference was computed on; rerun reference/"
    assert len(df) == ref(case, "nrow")[0], msg
    columns = sorted(q.removeprefix("sum:") for q in quantities(case) if q.startswith("sum:"))
    assert columns == sorted(df.columns), msg
    for col in columns:
        np.testing.assert_allclose(df[col].sum(), ref(case, f"sum:{col}")[0], rtol=1e-12, err_msg=msg)
