"""Cox (survival::coxph, Efron and Breslow) and Fine-Gray (cmprsk::crr) pinned to R."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.cox import cox_ph
from engraft.outcomes.fine_gray import censoring_km_before, fine_gray
from engraft.outcomes.kaplan_meier import kaplan_meier
from tests.outcomes import _outcomes_data as data
from tests.outcomes._reference import ref

TOL = 1e-6
Design = tuple[object, object, np.ndarray]


def _syn_x(df: pd.DataFrame) -> np.ndarray:
    return np.column_stack([df["age"], df["score"], df["group"] == 1, df["group"] == 2]).astype(float)


def _td1() -> pd.DataFrame:
    # Therneau's "test data 1" from survival's validation vignette (validate.Rnw)
    return pd.DataFrame({"time": [1, 1, 6, 6, 8, 9], "status": [1, 0, 1, 1, 0, 1], "x": [1, 1, 1, 0, 0, 0]})


COX: dict[str, Callable[[], Design]] = {
    "cox_bmt": lambda: (lambda d: (d["time"], (d["status"] > 0).astype(int), d[["dis"]].to_numpy(float)))(data.bmt()),
    "cox_cgvhd": lambda: (
        lambda d: (
            d["time"],
            (d["status"] > 0).astype(int),
            d[["age", "dx_aml", "tx_pb", "extent_l"]].to_numpy(float),
        )
    )(data.cgvhd()),
    "cox_syn": lambda: (lambda d: (d["time"], (d["status"] == 1).astype(int), _syn_x(d)))(data.synthetic()),
    "cox_td1": lambda: (lambda d: (d["time"], d["status"], d[["x"]].to_numpy(float)))(_td1()),
}

FG: dict[str, tuple[Callable[[], Design], int, tuple[int, ...]]] = {
    "fg_bmt": (lambda: (lambda d: (d["time"], d["status"], d[["dis"]].to_numpy(float)))(data.bmt()), 1, (1, 2)),
    "fg_cgvhd_c1": (
        lambda: (lambda d: (d["time"], d["status"], d[["age", "dx_aml", "tx_pb"]].to_numpy(float)))(data.cgvhd()),
        1,
        (1, 2, 3),
    ),
    "fg_cgvhd_c2": (
        lambda: (lambda d: (d["time"], d["status"], d[["age", "tx_pb"]].to_numpy(float)))(data.cgvhd()),
        2,
        (1, 2, 3),
    ),
    "fg_syn": (lambda: (lambda d: (d["time"], d["status"], _syn_x(d)))(data.synthetic()), 1, (1, 2)),
}


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_cox_strata_and_delayed_entry_match_coxph(ties: str) -> None:
    df = data.synthetic()
    strat = cox_ph(df["time"], (df["status"] == 1).astype(int), _syn_x(df), ties=ties, strata=df["stratum"])
    np.testing.assert_allclose(strat.coef, ref("cox_syn_strata", f"{ties}:coef"), rtol=0, atol=TOL)
    np.testing.assert_allclose(strat.std_error, ref("cox_syn_strata", f"{ties}:se"), rtol=0, atol=TOL)
    np.testing.assert_allclose(strat.loglik, ref("cox_syn_strata", f"{ties}:loglik")[1], rtol=0, atol=TOL)
    pos = df[df["time"] > 0]
    late = cox_ph(pos["time"], (pos["status"] == 1).astype(int), _syn_x(pos), ties=ties, entry=pos["entry"])
    np.testing.assert_allclose(late.coef, ref("cox_syn_entry", f"{ties}:coef"), rtol=0, atol=TOL)
    np.testing.assert_allclose(late.std_error, ref("cox_syn_entry", f"{ties}:se"), rtol=0, atol=TOL)
    np.testing.assert_allclose(late.loglik, ref("cox_syn_entry", f"{ties}:loglik")[1], rtol=0, atol=TOL)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("case", sorted(COX))
def test_cox_matches_coxph(case: str, ties: str) -> None:
    time, event, x = COX[case]()
    fit = cox_ph(time, event, x, ties=ties)
    assert fit.converged
    np.testing.assert_allclose(fit.coef, ref(case, f"{ties}:coef"), rtol=0, atol=TOL)
    np.testing.assert_allclose(fit.std_error, ref(case, f"{ties}:se"), rtol=0, atol=TOL)
    np.testing.assert_allclose([fit.loglik_null, fit.loglik], ref(case, f"{ties}:loglik"), rtol=0, atol=TOL)


def test_cox_breslow_closed_form_on_therneau_test_data_1() -> None:
    time, event, x = COX["cox_td1"]()
    fit = cox_ph(time, event, x, ties="breslow", covariate_names=["x"])
    assert fit.coef[0] == pytest.approx(np.log((3 + np.sqrt(33)) / 2), abs=1e-10)
    assert fit.names == ("x",)
    assert fit.hazard_ratio[0] == pytest.approx(np.exp(fit.coef[0]))


@pytest.mark.parametrize("case", sorted(FG))
def test_fine_gray_matches_crr(case: str) -> None:
    design, failcode, causes = FG[case]
    time, status, x = design()
    fit = fine_gray(time, status, x, failure_code=failcode, causes=causes)
    assert fit.converged
    np.testing.assert_allclose(fit.coef, ref(case, "coef"), rtol=0, atol=TOL)
    np.testing.assert_allclose(fit.std_error, ref(case, "se"), rtol=0, atol=TOL)
    np.testing.assert_allclose(fit.loglik, ref(case, "loglik")[0], rtol=0, atol=TOL)


def test_censoring_weights_are_left_limits_of_censoring_km() -> None:
    df = data.synthetic().sort_values("time", kind="stable")
    t = df["time"].to_numpy()
    g = censoring_km_before(t, (df["status"] == 0).to_numpy(float))
    km = kaplan_meier(t, (df["status"] == 0).astype(int))
    expected = km.survival_at(np.maximum(t - 1e-9, 0.0)).survival
    positive = t > 0
    np.testing.assert_allclose(g[positive], expected[positive], atol=1e-12)


def test_regressions_refuse_models_without_events() -> None:
    with pytest.raises(OutcomeInputError, match="event"):
        cox_ph([1, 2, 3], [0, 0, 0], [0.0, 1.0, 2.0])
    with pytest.raises(OutcomeInputError, match="failure_code 1"):
        fine_gray([1, 2, 3], [0, 2, 2], [0.0, 1.0, 2.0])
    with pytest.raises(OutcomeInputError, match="ties"):
        cox_ph([1, 2, 3], [1, 0, 1], [0.0, 1.0, 2.0], ties="exact")
    with pytest.raises(OutcomeInputError, match="failure_code"):
        fine_gray([1, 2, 3], [1, 2, 0], [0.0, 1.0, 2.0], failure_code=3)
