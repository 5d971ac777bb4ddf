"""Multi-state models on worked examples: transition matrix, long format, hazards, probabilities, Cox.

The worked illness-death example (four patients, times in days) is computed by hand in the comments;
the Cox model per transition is checked against separate fits of the Cox estimator pinned to R
survival; Kaplan-Meier and competing-risks special cases against lifelines; Hypothesis states the
invariants (each row of P(s, t) sums to 1, probabilities lie in [0, 1], standard errors are >= 0).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lifelines import AalenJohansenFitter, KaplanMeierFitter

from engraft.outcomes import OutcomeInputError
from engraft.outcomes.cox import cox_ph
from engraft.outcomes.multistate_cox import transition_cox
from engraft.outcomes.multistate_data import from_long, prepare_long
from engraft.outcomes.multistate_hazards import nelson_aalen
from engraft.outcomes.multistate_probabilities import aalen_johansen
from engraft.outcomes.multistate_transitions import TransitionMatrix, illness_death

NAN = float("nan")
# columns: Tx (start), Ill, Dead. A: ill day 2, dies day 5. B: dies day 3. C: ill day 4, censored day 6.
# D: censored day 7 without event.
TIME = [[NAN, 2, 5], [NAN, 3, 3], [NAN, 4, 6], [NAN, 7, 7]]
STATUS = [[NAN, 1, 1], [NAN, 0, 1], [NAN, 1, 0], [NAN, 0, 0]]


def _worked():
    return prepare_long(illness_death(), TIME, STATUS, ids=["A", "B", "C", "D"])


def test_illness_death_numbering_as_trans_illdeath() -> None:
    tm = illness_death()
    assert [(t.number, t.from_state, t.to_state) for t in tm.transitions] == [(1, 1, 2), (2, 1, 3), (3, 2, 3)]
    assert tm.matrix().tolist() == [[0, 1, 2], [0, 0, 3], [0, 0, 0]]
    assert tm.is_absorbing(3) and not tm.is_absorbing(2)


def test_transition_numbers_follow_the_order_given() -> None:
    tm = TransitionMatrix.from_names(["A", "B", "C"], [("A", "C"), ("A", "B"), ("B", "C")])
    assert [t.label for t in tm.transitions] == ["A -> C", "A -> B", "B -> C"]


@pytest.mark.parametrize(
    ("targets", "names", "message"),
    [
        pytest.param([[1], []], None, "itself", id="self-loop"),
        pytest.param([[2, 2], []], None, "twice", id="duplicate"),
        pytest.param([[3], []], None, "expected a state in 1..2", id="unknown-state"),
        pytest.param([[], []], None, "no transitions", id="no-transitions"),
        pytest.param([[2], []], ["X", "X"], "distinct", id="duplicate-names"),
    ],
)
def test_bad_transition_matrices_are_refused(targets: list[list[int]], names: list[str] | None, message: str) -> None:
    with pytest.raises(OutcomeInputError, match=message):
        TransitionMatrix.from_targets(targets, names)


def test_long_format_of_the_worked_example() -> None:
    data = _worked()
    got = list(
        zip(
            [data.ids[i] for i in data.subject],
            data.from_state.tolist(),
            data.to_state.tolist(),
            data.trans.tolist(),
            data.tstart.tolist(),
            data.tstop.tolist(),
            data.status.tolist(),
            strict=True,
        )
    )
    assert got == [
        ("A", 1, 2, 1, 0.0, 2.0, 1),
        ("A", 1, 3, 2, 0.0, 2.0, 0),
        ("A", 2, 3, 3, 2.0, 5.0, 1),
        ("B", 1, 2, 1, 0.0, 3.0, 0),
        ("B", 1, 3, 2, 0.0, 3.0, 1),
        ("C", 1, 2, 1, 0.0, 4.0, 1),
        ("C", 1, 3, 2, 0.0, 4.0, 0),
        ("C", 2, 3, 3, 4.0, 6.0, 0),
        ("D", 1, 2, 1, 0.0, 7.0, 0),
        ("D", 1, 3, 2, 0.0, 7.0, 0),
    ]
    counts = data.events()
    assert counts.frequencies.tolist() == [[0, 2, 1], [0, 0, 1], [0, 0, 0]]
    assert counts.no_event.tolist() == [1, 1, 2]
    assert counts.entering.tolist() == [4, 2, 2]


def test_long_format_given_as_such_in_any_row_order() -> None:
    data = _worked()
    shuffle = np.random.default_rng(1).permutation(data.n_rows)
    given = from_long(
        illness_death(),
        [data.ids[i] for i in data.subject[shuffle]],
        data.from_state[shuffle],
        data.to_state[shuffle],
        data.tstart[shuffle],
        data.tstop[shuffle],
        data.status[shuffle],
    )
    assert given.trans.tolist() == data.trans[shuffle].tolist()
    assert given.events().entering.tolist() == data.events().entering.tolist()
    assert given.events().frequencies.tolist() == data.events().frequencies.tolist()
    assert nelson_aalen(given).cumulative.tolist() == nelson_aalen(data).cumulative.tolist()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        pytest.param(
            (2, 1, 0.0, 1.0, 1), r"to\[0\]: got 'Transplant' from 'Adverse event or recovery'", id="no-such-transition"
        ),
        pytest.param((1, 2, 3.0, 3.0, 1), r"Tstop\[0\]: got 3.0 with Tstart 3.0", id="empty-interval"),
        pytest.param((1, 2, 0.0, 3.0, 2), r"status\[0\]: got 2.0", id="bad-status"),
        pytest.param((1, 4, 0.0, 3.0, 1), r"to\[0\]: got 4.0; expected a state number in 1..3", id="unknown-state"),
    ],
)
def test_long_format_given_as_such_is_checked(row: tuple[int, int, float, float, int], message: str) -> None:
    f, t, a, b, e = row
    with pytest.raises(OutcomeInputError, match=message):
        from_long(illness_death(), ["x"], [f], [t], [a], [b], [e])


def test_long_format_refuses_bad_cells_naming_them() -> None:
    with pytest.raises(OutcomeInputError, match=r"status\[1, Relapse or death\]: got 2.0"):
        prepare_long(illness_death(), TIME, [[NAN, 1, 1], [NAN, 0, 2], [NAN, 1, 0], [NAN, 0, 0]])
    with pytest.raises(OutcomeInputError, match=r"time\[0, Adverse event or recovery\]: got -1.0"):
        prepare_long(illness_death(), [[NAN, -1, 5]], [[NAN, 1, 1]])
    with pytest.raises(OutcomeInputError, match="no later time"):
        prepare_long(illness_death(), [[NAN, 0, 0]], [[NAN, 0, 0]])


def test_nelson_aalen_by_hand() -> None:
    hazards = nelson_aalen(_worked())
    # event times 2 (Tx->Ill, 4 at risk), 3 (Tx->Dead, 3 at risk), 4 (Tx->Ill, 2 at risk), 5 (Ill->Dead,
    # 2 at risk: A and C); the grid ends at the last follow-up, day 7.
    assert hazards.times.tolist() == [2.0, 3.0, 4.0, 5.0, 7.0]
    haz, se = hazards.at([1.0, 2.0, 4.5, 10.0])
    assert haz.tolist() == [[0, 0, 0], [0.25, 0, 0], [0.75, 1 / 3, 0], [0.75, 1 / 3, 0.5]]
    assert se[3] == pytest.approx(np.sqrt([1 / 16 + 1 / 4, 1 / 9, 1 / 4]), rel=1e-15)
    _, se_g = hazards.at([10.0], "greenwood")
    assert se_g[0] == pytest.approx(np.sqrt([3 / 64 + 1 / 8, 2 / 27, 1 / 8]), rel=1e-15)


def test_aalen_johansen_by_hand() -> None:
    occupation = aalen_johansen(nelson_aalen(_worked())).from_state(1)
    # day 2: 1/4 leave Tx for Ill; day 3: 1/3 of the remaining 3/4 die; day 4: half of the remaining 1/2
    # fall ill; day 5: half of the 1/2 in Ill die.
    probs, _ = occupation.at([0.0, 2.0, 3.0, 4.0, 5.0, 9.0])
    expected = [[1, 0, 0], [0.75, 0.25, 0], [0.5, 0.25, 0.25], [0.25, 0.5, 0.25], [0.25, 0.25, 0.5], [0.25, 0.25, 0.5]]
    assert probs == pytest.approx(np.array(expected), abs=1e-15)


def test_start_time_restricts_to_later_events() -> None:
    # from Ill at day 4: only C's and A's Ill->Dead risk remains; at day 5 half die
    occupation = aalen_johansen(nelson_aalen(_worked()), start_time=4.0).from_state(2)
    probs, se = occupation.at([4.0, 5.0])
    assert probs.tolist() == [[0, 1, 0], [0, 0.5, 0.5]]
    assert se[0].tolist() == [0, 0, 0]
    with pytest.raises(OutcomeInputError, match=r"expected times >= the start time 4\.0"):
        occupation.at([3.0])


def test_two_state_model_is_kaplan_meier() -> None:
    rng = np.random.default_rng(7)
    t = np.round(rng.exponential(100, 300)) + 1
    e = rng.integers(0, 2, 300)
    tm = TransitionMatrix.from_targets([[2], []], ["alive", "dead"])
    data = prepare_long(tm, np.column_stack((np.full(300, NAN), t)), np.column_stack((np.full(300, NAN), e)))
    occupation = aalen_johansen(nelson_aalen(data)).from_state(1)
    km = KaplanMeierFitter().fit(t, e)
    grid = np.unique(t)
    assert occupation.at(grid)[0][:, 0] == pytest.approx(km.survival_function_at_times(grid).to_numpy(), abs=1e-12)


def test_competing_risks_model_is_cumulative_incidence() -> None:
    rng = np.random.default_rng(11)
    t = rng.exponential(50, 400)
    cause = rng.integers(0, 3, 400)
    tm = TransitionMatrix.from_targets([[2, 3], [], []], ["alive", "relapse", "death"])
    time = np.column_stack((np.full(400, NAN), t, t))
    status = np.column_stack((np.full(400, NAN), cause == 1, cause == 2)).astype(float)
    occupation = aalen_johansen(nelson_aalen(prepare_long(tm, time, status))).from_state(1)
    aj = AalenJohansenFitter(calculate_variance=False).fit(t, cause, event_of_interest=1)
    grid = np.unique(t)
    lifelines_cif = aj.cumulative_density_.reindex(grid, method="ffill").to_numpy()[:, 0]
    assert occupation.at(grid)[0][:, 1] == pytest.approx(lifelines_cif, abs=1e-12)


def test_cox_per_transition_equals_separate_fits() -> None:
    rng = np.random.default_rng(3)
    n = 400
    x = rng.normal(size=n)
    ill = np.round(rng.exponential(60 * np.exp(-0.5 * x))) + 1
    death = np.round(rng.exponential(120 * np.exp(0.3 * x))) + 1
    time = np.column_stack((np.full(n, NAN), ill, np.maximum(death, ill + 1)))
    status = np.column_stack((np.full(n, NAN), rng.random(n) < 0.7, rng.random(n) < 0.8)).astype(float)
    data = prepare_long(illness_death(), time, status, keep={"x": x})
    joint = transition_cox(data, ["x"])
    assert [c.name for c in joint.coefficients] == ["x.1", "x.2", "x.3"]
    table = joint.to_frame()
    assert table["term"].tolist() == ["x.1", "x.2", "x.3"]
    assert table["hazard_ratio"].tolist() == pytest.approx([c.hazard_ratio for c in joint.coefficients], rel=1e-14)
    for c in joint.coefficients:
        rows = data.trans == c.transition
        alone = cox_ph(
            data.tstop[rows], data.status[rows], data.covariates["x"][rows], ties="breslow", entry=data.tstart[rows]
        )
        assert c.coef == pytest.approx(float(alone.coef[0]), abs=1e-9)
        assert c.std_error == pytest.approx(float(alone.std_error[0]), rel=1e-8)
        assert c.lower < c.hazard_ratio < c.upper


def test_cox_refuses_a_covariate_constant_on_a_transition() -> None:
    data = prepare_long(illness_death(), TIME, STATUS, keep={"z": [1.0, 1.0, 1.0, 1.0]})
    with pytest.raises(OutcomeInputError, match="'z' is constant on the rows of transition 1"):
        transition_cox(data, ["z"])
    with pytest.raises(OutcomeInputError, match="expected one of"):
        transition_cox(data, ["missing"])


def test_cox_refuses_collinear_covariates() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=40)
    time = np.column_stack((np.full(40, NAN), rng.integers(1, 30, 40), rng.integers(31, 60, 40))).astype(float)
    status = np.column_stack((np.full(40, NAN), rng.random(40) < 0.5, rng.random(40) < 0.7)).astype(float)
    data = prepare_long(illness_death(), time, status, keep={"x": x, "twice_x": 2 * x})
    with pytest.raises(OutcomeInputError, match="collinear"):
        transition_cox(data, ["x", "twice_x"])


@st.composite
def _illness_death_data(draw: st.DrawFn) -> tuple[list[list[float]], list[list[float]]]:
    n = draw(st.integers(1, 25))
    times, statuses = [], []
    for _ in range(n):
        ill = draw(st.integers(1, 30))
        end = ill + draw(st.integers(0, 30))  # death or censoring: not before the intermediate event
        times.append([NAN, float(ill), float(end)])
        ill_seen = draw(st.booleans()) and ill < end
        statuses.append([NAN, float(ill_seen), float(draw(st.booleans()))])
    return times, statuses


@given(_illness_death_data(), st.sampled_from(["aalen", "greenwood"]), st.sampled_from(["aalen", "greenwood"]))
def test_probabilities_are_probabilities(
    data: tuple[list[list[float]], list[list[float]]], hazard_variance: str, method: str
) -> None:
    time, status = data
    long = prepare_long(illness_death(), time, status)
    if not (long.status == 1).any():
        return
    probs = aalen_johansen(nelson_aalen(long), hazard_variance=hazard_variance, method=method)
    assert np.allclose(probs.probabilities.sum(axis=2), 1.0, atol=1e-12)
    assert (probs.probabilities >= -1e-12).all() and (probs.probabilities <= 1 + 1e-12).all()
    assert (probs.std_errors >= 0).all() and np.isfinite(probs.std_errors).all()
    # absorbing state: once dead, always dead
    assert np.allclose(probs.probabilities[:, 2, 2], 1.0)


@given(_illness_death_data(), st.integers(0, 40))
def test_chapman_kolmogorov(data: tuple[list[list[float]], list[list[float]]], s: int) -> None:
    """P(0, t) = P(0, s) P(s, t): the product integral splits at any time s."""
    time, status = data
    long = prepare_long(illness_death(), time, status)
    if not (long.status == 1).any():
        return
    hazards = nelson_aalen(long)
    whole = aalen_johansen(hazards)
    later = aalen_johansen(hazards, start_time=float(s))
    t_end = float(hazards.times[-1]) + 1.0
    p0s = whole.probabilities[np.searchsorted(whole.times, s, side="right") - 1]
    pst = later.probabilities[np.searchsorted(later.times, max(t_end, s), side="right") - 1]
    p0t = whole.probabilities[-1]
    assert np.allclose(p0s @ pst, p0t, atol=1e-12)


@pytest.mark.parametrize("kind", [pytest.param("pandas", id="pandas"), pytest.param("polars", id="polars")])
def test_tidy_frames(kind: str) -> None:
    data = _worked()
    hazards = nelson_aalen(data)
    occupation = aalen_johansen(hazards).from_state(1)
    long = data.to_frame(kind)
    assert list(long.columns) == ["id", "from", "to", "trans", "Tstart", "Tstop", "status"] and len(long) == 10
    haz = hazards.to_frame(kind, method="greenwood")
    assert len(haz) == hazards.times.size * 3
    trans1 = haz.to_pandas() if kind == "polars" else haz
    trans1 = trans1[trans1["trans"] == 1]
    assert trans1["cumulative_hazard"].tolist() == hazards.cumulative[:, 0].tolist()
    assert trans1["std_error"].iloc[-1] == pytest.approx((3 / 64 + 1 / 8) ** 0.5)
    occ = occupation.to_frame(kind)
    occ = occ.to_pandas() if kind == "polars" else occ
    assert occ.groupby("time")["probability"].sum().to_numpy() == pytest.approx(1.0)
    assert occ[occ["time"] == 9.0].empty and occ[occ["time"] == 5.0]["probability"].tolist() == [0.25, 0.25, 0.5]
