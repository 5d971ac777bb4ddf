"""Aalen-Johansen CIFs and variances pinned to R cmprsk::cuminc."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from engraft.outcomes.cumulative_incidence import (
    cumulative_incidence,
    cumulative_incidence_by_group,
    loglog_cif_limits,
)
from tests.outcomes import _outcomes_data as data
from tests.outcomes._reference import quantities, ref

TOL = 1e-8

CASES: dict[str, tuple[Callable[[], pd.DataFrame], str | None, tuple[int, ...]]] = {
    "aj_bmt": (data.bmt, None, (1, 2)),
    "aj_bmt_dis": (data.bmt, "dis", (1, 2)),
    "aj_cgvhd_tx": (data.cgvhd, "tx_pb", (1, 2, 3)),
    "aj_syn_group": (data.synthetic, "group", (1, 2)),
    "aj_edge_group": (data.edge, "group", (1, 2)),
}


def _curves(case: str) -> list[tuple[str, int, object]]:
    load, group, causes = CASES[case]
    df = load()
    if group is None:
        fits = {1: cumulative_incidence(df["time"], df["status"], causes=causes)}
    else:
        fits = cumulative_incidence_by_group(df["time"], df["status"], df[group], causes=causes)
    return [(f"{g}_{c}", c, fit) for g, fit in fits.items() for c in causes]


@pytest.mark.parametrize("case", sorted(CASES))
def test_estimate_and_variance_match_cuminc(case: str) -> None:
    curves = _curves(case)
    assert {f"{key}:est" for key, _, _ in curves} == {q for q in quantities(case) if q.endswith(":est")}
    for key, cause, fit in curves:
        r_time = ref(case, f"{key}:time")
        # cuminc lists the corners of the step function: (0, 0), then (t, before), (t, after) per
        # event time of the cause, then the last follow-up time; compare after each jump and at the end
        idx = [*range(2, r_time.size - 1, 2), r_time.size - 1]
        at = fit.at(r_time[idx], cause)  # type: ignore[attr-defined]
        np.testing.assert_allclose(at.incidence, ref(case, f"{key}:est")[idx], rtol=0, atol=TOL)
        np.testing.assert_allclose(at.variance, ref(case, f"{key}:var")[idx], rtol=0, atol=TOL)
        np.testing.assert_allclose(at.std_error, np.sqrt(ref(case, f"{key}:var")[idx]), rtol=0, atol=TOL)
        # every jump of our curve is one of R's corners
        j = fit.column(cause)  # type: ignore[attr-defined]
        jumps = fit.time[fit.n_event[:, j] > 0]  # type: ignore[attr-defined]
        np.testing.assert_array_equal(jumps, r_time[2:-1:2])


def test_cif_plus_event_free_survival_is_one() -> None:
    df = data.synthetic()
    fit = cumulative_incidence(df["time"], df["status"])
    np.testing.assert_allclose(fit.cif.sum(axis=1) + fit.event_free_survival, 1.0, atol=1e-12)


def test_limits_bracket_estimate_and_use_loglog_transform() -> None:
    df = data.cgvhd()
    fit = cumulative_incidence(df["time"], df["status"], causes=(1, 2, 3))
    ok = ~np.isnan(fit.lower)
    assert np.all(fit.lower[ok] <= fit.cif[ok]) and np.all(fit.cif[ok] <= fit.upper[ok])
    f, v = 0.3, 0.0025
    lo, hi = loglog_cif_limits(np.array([f]), np.array([v]), 1.959963984540054)
    k = 1.959963984540054 * np.sqrt(v) / (f * np.log(f))
    assert lo[0] == pytest.approx(f ** np.exp(-k)) and hi[0] == pytest.approx(f ** np.exp(k))
    assert 0 < lo[0] < f < hi[0] < 1


def test_all_censored_gives_zero_incidence() -> None:
    fit = cumulative_incidence([1.0, 2.0, 3.0], [0, 0, 0])
    assert np.all(fit.cif == 0.0) and np.all(fit.variance == 0.0)
    assert np.all(fit.event_free_survival == 1.0)


def test_events_at_time_zero_and_ties() -> None:
    fit = cumulative_incidence([0, 0, 0, 5, 5, 5, 9], [1, 2, 0, 1, 1, 2, 0])
    assert fit.cif[0].tolist() == pytest.approx([1 / 7, 1 / 7])
    # after t=5: S(5-) = 5/7, 4 at risk, 2 cause-1 and 1 cause-2 deaths
    assert fit.cif[1, 0] == pytest.approx(1 / 7 + (5 / 7) * 2 / 4)
    assert fit.cif[1, 1] == pytest.approx(1 / 7 + (5 / 7) * 1 / 4)


def test_estimates_only_mode_skips_variance() -> None:
    df = data.synthetic()
    full = cumulative_incidence(df["time"], df["status"])
    quick = cumulative_incidence(df["time"], df["status"], variance=False)
    np.testing.assert_array_equal(quick.cif, full.cif)
    assert np.isnan(quick.variance).all() and np.isnan(quick.lower).all()
