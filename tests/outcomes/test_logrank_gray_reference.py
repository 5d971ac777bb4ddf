"""Log-rank (survival::survdiff) and Gray's test (cmprsk::cuminc) pinned to R."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.gray_test import gray_test
from engraft.outcomes.logrank import logrank_test
from tests.outcomes import _outcomes_data as data
from tests.outcomes._reference import ref

TOL = 1e-8

LOGRANK: dict[str, tuple[Callable[[], pd.DataFrame], Callable[[pd.DataFrame], object], str, str | None]] = {
    "lr_bmt_dis": (data.bmt, lambda df: (df["status"] > 0).astype(int), "dis", None),
    "lr_cgvhd_tx": (data.cgvhd, lambda df: (df["status"] > 0).astype(int), "tx_pb", None),
    "lr_cgvhd_tx_strata": (data.cgvhd, lambda df: (df["status"] > 0).astype(int), "tx_pb", "dx_aml"),
    "lr_syn_group": (data.synthetic, lambda df: (df["status"] == 1).astype(int), "group", None),
    "lr_syn_group_strata": (data.synthetic, lambda df: (df["status"] == 1).astype(int), "group", "stratum"),
    "lr_edge_group": (data.edge, lambda df: (df["status"] > 0).astype(int), "group", None),
}

GRAY: dict[str, tuple[Callable[[], pd.DataFrame], str, str | None, tuple[int, ...], float]] = {
    "aj_bmt_dis": (data.bmt, "dis", None, (1, 2), 0.0),
    "aj_cgvhd_tx": (data.cgvhd, "tx_pb", None, (1, 2, 3), 0.0),
    "aj_cgvhd_tx_strata": (data.cgvhd, "tx_pb", "extent_l", (1, 2, 3), 0.0),
    "aj_syn_group": (data.synthetic, "group", None, (1, 2), 0.0),
    "aj_syn_group_strata": (data.synthetic, "group", "stratum", (1, 2), 0.0),
    "aj_syn_group_rho1": (data.synthetic, "group", None, (1, 2), 1.0),
    "aj_edge_group": (data.edge, "group", None, (1, 2), 0.0),
}


@pytest.mark.parametrize("case", sorted(LOGRANK))
def test_logrank_matches_survdiff(case: str) -> None:
    load, event, group, strata = LOGRANK[case]
    df = load()
    res = logrank_test(df["time"], event(df), df[group], strata=None if strata is None else df[strata])
    assert res.statistic == pytest.approx(ref(case, "chisq")[0], abs=TOL, rel=0)
    assert res.p_value == pytest.approx(ref(case, "pvalue")[0], abs=TOL, rel=0)
    np.testing.assert_allclose(res.observed, ref(case, "observed"), rtol=0, atol=TOL)
    np.testing.assert_allclose(res.expected, ref(case, "expected"), rtol=0, atol=TOL)
    np.testing.assert_allclose(res.variance.ravel(order="F"), ref(case, "var"), rtol=0, atol=TOL)


@pytest.mark.parametrize("case", sorted(GRAY))
def test_gray_matches_cuminc_tests(case: str) -> None:
    load, group, strata, causes, rho = GRAY[case]
    df = load()
    res = gray_test(
        df["time"], df["status"], df[group], strata=None if strata is None else df[strata], causes=causes, rho=rho
    )
    np.testing.assert_array_equal([t.cause for t in res.tests], ref(case, "test_cause"))
    np.testing.assert_allclose([t.statistic for t in res.tests], ref(case, "test_stat"), rtol=0, atol=TOL)
    np.testing.assert_allclose([t.p_value for t in res.tests], ref(case, "test_pv"), rtol=0, atol=TOL)
    np.testing.assert_array_equal([t.df for t in res.tests], ref(case, "test_df"))


def test_single_group_is_refused() -> None:
    with pytest.raises(OutcomeInputError, match="group"):
        logrank_test([1, 2, 3], [1, 0, 1], [0, 0, 0])
    with pytest.raises(OutcomeInputError, match="group"):
        gray_test([1, 2, 3], [1, 2, 1], ["a", "a", "a"])


def test_logrank_with_no_events_is_zero() -> None:
    res = logrank_test([1, 2, 3, 4], [0, 0, 0, 0], [0, 1, 0, 1])
    assert res.statistic == 0.0


def test_gray_for_cause_lookup() -> None:
    df = data.bmt()
    res = gray_test(df["time"], df["status"], df["dis"])
    assert res.for_cause(2).statistic == res.tests[1].statistic
    with pytest.raises(OutcomeInputError, match="cause"):
        res.for_cause(7)


def test_degenerate_comparison_gives_nan_not_an_error() -> None:
    # group 1 leaves follow-up before the first event: nothing to compare (R cuminc reports -1)
    res = gray_test([1, 2, 3, 0.5, 0.5], [1, 1, 2, 0, 0], [0, 0, 0, 1, 1])
    assert all(np.isnan(t.statistic) and np.isnan(t.p_value) for t in res.tests)
    lr = logrank_test([1, 2, 3, 0.5, 0.5], [1, 1, 1, 0, 0], [0, 0, 0, 1, 1])
    assert lr.statistic == 0.0 and lr.df == 0 and np.isnan(lr.p_value)
