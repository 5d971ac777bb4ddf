"""The data-frame interface (pandas, polars, Arrow) gives R's survfit/cuminc/survdiff figures per group.

Every number is pinned to the committed R reference (``reference/r_reference.csv``) on the same
datasets as the estimator tests, through each kind of frame; the figures are saved as artefacts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.outcomes import (
    FrameKind,
    GroupedCumulativeIncidence,
    GroupedKaplanMeier,
    OutcomeInputError,
    cox_ph,
    cumulative_incidence,
    cumulative_incidence_frame,
    fine_gray,
    kaplan_meier,
    kaplan_meier_frame,
)
from engraft.outcomes.frames import is_member
from tests.outcomes import _outcomes_data as data
from tests.outcomes._artefacts import save_artefact
from tests.outcomes._reference import ref

TOL = 1e-8
KINDS = [pytest.param(k, id=k.value) for k in FrameKind]


def as_kind(df: pd.DataFrame, kind: FrameKind) -> Any:
    if kind is FrameKind.POLARS:
        return pl.from_pandas(df)
    if kind is FrameKind.ARROW:
        return pa.Table.from_pandas(df, preserve_index=False)
    return df


def close(got: Any, expected: np.ndarray) -> None:
    np.testing.assert_allclose(np.asarray(got, dtype=float), expected, rtol=0, atol=TOL, equal_nan=True)


def assert_curve(fit: Any, case: str) -> None:
    close(fit.time, ref(case, "time"))
    close(fit.n_risk, ref(case, "n_risk"))
    close(fit.n_event, ref(case, "n_event"))
    close(fit.n_censor, ref(case, "n_censor"))
    close(fit.survival, ref(case, "surv"))
    close(fit.cumhaz_std_error, ref(case, "std_err"))
    close(fit.lower, ref(case, "lower"))
    close(fit.upper, ref(case, "upper"))


@pytest.mark.parametrize("kind", KINDS)
def test_grouped_km_matches_survfit_per_stratum(kind: FrameKind) -> None:
    frame = as_kind(data.synthetic(), kind)
    km = kaplan_meier_frame(frame, time="time", event="status", by="group", event_codes=(1,), censor_codes=(0, 2))
    assert km.keys == ((0,), (1,), (2,)) and km.labels == ("group=0", "group=1", "group=2")
    assert_curve(km[0], "km_syn_g0_rel")  # survfit(Surv(time, status == 1) ~ 1, subset = group == 0)
    assert km["group=0"] is km[0]
    tidy = pl.from_arrow(km.to_frame(FrameKind.ARROW)).filter(pl.col("group") == 0)
    close(tidy["survival"].to_numpy(), ref("km_syn_g0_rel", "surv"))
    close(tidy["cumhaz_std_error"].to_numpy(), ref("km_syn_g0_rel", "std_err"))


@pytest.mark.parametrize("kind", KINDS)
def test_ungrouped_km_with_event_codes_and_late_entry(kind: FrameKind) -> None:
    assert_curve(
        kaplan_meier_frame(as_kind(data.bmt(), kind), time="time", event="status", event_codes=(1, 2))["All"],
        "km_bmt_any",
    )
    late = data.synthetic().query("time > 0").reset_index(drop=True)
    km = kaplan_meier_frame(as_kind(late, kind), time="time", event="status", entry="entry", event_codes=(1, 2))
    assert_curve(km["All"], "km_syn_entry")  # survfit(Surv(entry, time, status > 0) ~ 1)


@pytest.mark.parametrize(
    ("case", "load", "by", "event_codes", "censor_codes"),
    [
        pytest.param("lr_bmt_dis", data.bmt, "dis", (1, 2), (0,), id="bmt-any-event-by-disease"),
        pytest.param("lr_syn_group", data.synthetic, "group", (1,), (0, 2), id="synthetic-relapse-by-group"),
    ],
)
def test_logrank_of_grouped_km_matches_survdiff(
    case: str, load: Any, by: str, event_codes: tuple[int, ...], censor_codes: tuple[int, ...]
) -> None:
    km = kaplan_meier_frame(
        pl.from_pandas(load()), time="time", event="status", by=by, event_codes=event_codes, censor_codes=censor_codes
    )
    test = km.logrank()
    assert test.statistic == pytest.approx(ref(case, "chisq")[0], abs=TOL)
    assert test.p_value == pytest.approx(ref(case, "pvalue")[0], abs=TOL)
    close(test.observed, ref(case, "observed"))
    close(test.expected, ref(case, "expected"))


@pytest.mark.parametrize(
    ("case", "load", "by", "causes"),
    [
        pytest.param("aj_bmt_dis", data.bmt, "dis", (1, 2), id="bmt-by-disease"),
        pytest.param("aj_cgvhd_tx", data.cgvhd, "tx_pb", (1, 2, 3), id="cgvhd-three-causes-by-graft"),
        pytest.param("aj_syn_group", data.synthetic, "group", (1, 2), id="synthetic-by-group"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_grouped_cif_matches_cuminc(case: str, load: Any, by: str, causes: tuple[int, ...], kind: FrameKind) -> None:
    cif = cumulative_incidence_frame(as_kind(load(), kind), time="time", status="status", by=by, causes=causes)
    for (value,), fit in cif:
        for cause in causes:
            key = f"{value}_{cause}"
            r_time = ref(case, f"{key}:time")
            idx = [*range(2, r_time.size - 1, 2), r_time.size - 1]  # after each jump, and the last time
            at = cif.at(r_time[idx], cause)[f"{by}={value}"]
            close(at.incidence, ref(case, f"{key}:est")[idx])
            close(at.variance, ref(case, f"{key}:var")[idx])
            close(at.std_error, np.sqrt(ref(case, f"{key}:var")[idx]))
            assert at.estimate is at.incidence and fit.time_unit == "days"
    gray = cif.gray_test()
    close([t.statistic for t in gray.tests], ref(case, "test_stat"))
    close([t.p_value for t in gray.tests], ref(case, "test_pv"))


@pytest.mark.parametrize("kind", KINDS)
def test_tidy_frames_come_back_as_the_input_kind(kind: FrameKind) -> None:
    df = data.bmt()
    km = kaplan_meier_frame(as_kind(df, kind), time="time", event="status", by="dis", event_codes=(1, 2))
    cif = cumulative_incidence_frame(as_kind(df, kind), time="time", status="status", by="dis")
    expected = {FrameKind.PANDAS: pd.DataFrame, FrameKind.POLARS: pl.DataFrame, FrameKind.ARROW: pa.Table}[kind]
    for tidy in (km.to_frame(), km.summary_frame(), km.to_frame(times=[12, 24]), cif.to_frame(), cif.to_frame(cause=1)):
        assert isinstance(tidy, expected)
    assert isinstance(km.to_frame("pandas"), pd.DataFrame)
    assert isinstance(cif.to_frame(FrameKind.POLARS), pl.DataFrame)


def test_tidy_frames_equal_the_estimators_arrays() -> None:
    df = data.cgvhd()
    cif = cumulative_incidence_frame(df, time="time", status="status", by="tx_pb", causes=(1, 2, 3))
    tidy = cif.to_frame(FrameKind.POLARS)
    assert tidy.columns == [
        "tx_pb",
        *("cause", "time", "n_risk", "n_event", "n_censor", "incidence", "std_error", "variance", "lower", "upper"),
    ]
    alone = cumulative_incidence(df["time"][df["tx_pb"] == 1], df["status"][df["tx_pb"] == 1], causes=(1, 2, 3))
    rows = tidy.filter((pl.col("tx_pb") == 1) & (pl.col("cause") == 3))
    np.testing.assert_array_equal(rows["incidence"].to_numpy(), alone.cif[:, 2])
    np.testing.assert_array_equal(rows["variance"].to_numpy(), alone.variance[:, 2])
    summary = kaplan_meier_frame(
        df, time="time", event="status", event_codes=(3,), censor_codes=(0, 1, 2)
    ).summary_frame()
    km = kaplan_meier(df["time"], (df["status"] == 3).astype(int))
    assert summary.loc[0, "n"] == 100 and summary.loc[0, "events"] == int(km.n_event.sum())
    assert summary.loc[0, "median"] == pytest.approx(km.median().estimate, nan_ok=True)


def test_by_several_columns_and_categorical_order() -> None:
    df = data.bmt()
    df["graft"] = pd.Categorical(np.where(np.arange(len(df)) % 3 == 0, "PB", "BM"), categories=["PB", "BM"])
    km = kaplan_meier_frame(df, time="time", event="status", by=["dis", "graft"], event_codes=(1, 2))
    assert km.keys == ((0, "PB"), (0, "BM"), (1, "PB"), (1, "BM"))  # categories in their own order, as R factors
    assert km.labels[1] == "dis=0, graft=BM"
    sub = df[(df["dis"] == 1) & (df["graft"] == "PB")]
    np.testing.assert_array_equal(km[(1, "PB")].survival, kaplan_meier(sub["time"], (sub["status"] > 0)).survival)
    assert list(km.to_frame().columns[:2]) == ["dis", "graft"]


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        pytest.param(
            pd.DataFrame({"t": [1.0, 2.0, np.nan], "s": [1, 0, 1]}),
            {},
            r"column 't', row 2: got a missing value \(null or NaN\); expected a time >= 0",
            id="pandas-nan-time",
        ),
        pytest.param(
            pl.DataFrame({"t": [1.0, -2.0], "s": [1, 0]}),
            {},
            r"column 't', row 1: got -2.0; expected a finite time >= 0",
            id="polars-negative-time",
        ),
        pytest.param(
            pl.DataFrame({"t": ["3", "12a"], "s": [1, 0]}),
            {},
            r"column 't', row 1: got '12a'; expected a time >= 0",
            id="polars-text-time",
        ),
        pytest.param(
            pd.DataFrame({"t": [1.0, 2.0, 3.0], "s": [1, 0, 7]}),
            {},
            r"column 's', row 2: got 7; expected a code in \[0, 1\]",
            id="pandas-unknown-status",
        ),
        pytest.param(
            pd.DataFrame({"t": [1.0, 2.0], "s": [1, 3]}),
            {"event_codes": (1, 2)},
            r"column 's', row 1: got 3; expected a code in \[0, 1, 2\]",
            id="code-outside-event-and-censor-codes",
        ),
        pytest.param(
            pd.DataFrame({"t": [1.0, 2.0], "s": [1, 0], "g": ["a", None]}),
            {"by": "g"},
            r"column 'g', row 1: got a missing value \(null or NaN\); expected a group label",
            id="missing-group-label",
        ),
        pytest.param(
            pd.DataFrame({"t": [1.0], "s": [1]}),
            {"by": "graft"},
            r"by: got 'graft'; expected one of the frame's columns \['t', 's'\]",
            id="unknown-column",
        ),
        pytest.param(
            pd.DataFrame({"t": [1.0], "s": [1]}),
            {"event_codes": (1,), "censor_codes": (0, 1)},
            r"event_codes: got \[1\] sharing \[1\] with censor_codes; expected disjoint",
            id="overlapping-codes",
        ),
        pytest.param(
            [[1.0, 1]], {}, r"frame: got a list; expected a pandas or polars DataFrame or an Arrow table", id="list"
        ),
        pytest.param(
            pd.DataFrame({"t": pd.Series([], dtype=float), "s": pd.Series([], dtype=int)}),
            {},
            r"frame: got 0 rows; expected one row per subject",
            id="empty-frame",
        ),
        pytest.param(
            pd.DataFrame({"t": [1.0, "7 months"], "s": [1, 0]}),
            {},
            r"columns \['t', 's'\]: could not be read \(.*\); expected one type per column",
            id="pandas-mixed-column",
        ),
    ],
)
def test_bad_cells_are_refused_naming_column_row_value_and_expectation(
    frame: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(OutcomeInputError, match=message):
        kaplan_meier_frame(frame, time="t", event="s", **kwargs)


def test_unknown_group_and_frame_kind_are_refused() -> None:
    km = kaplan_meier_frame(data.bmt(), time="time", event="status", by="dis", event_codes=(1, 2))
    with pytest.raises(OutcomeInputError, match=r"group: got 5; expected one of \[0, 1\] or \['dis=0', 'dis=1'\]"):
        km[5]
    with pytest.raises(OutcomeInputError, match=r"kind: got 'excel'; expected one of 'pandas', 'polars', 'arrow'"):
        km.to_frame("excel")
    single = cumulative_incidence_frame(data.bmt(), time="time", status="status")
    with pytest.raises(OutcomeInputError, match=r"by: got 1 group; expected at least 2 groups to compare"):
        single.gray_test()


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 2), st.sampled_from(["a", "b", "c"])), min_size=1, max_size=40
    )
)
def test_every_frame_kind_gives_the_per_group_estimators(rows: list[tuple[int, int, str]]) -> None:
    df = pd.DataFrame(rows, columns=["t", "s", "g"]).astype({"t": float})
    results = [cumulative_incidence_frame(as_kind(df, k), time="t", status="s", by="g") for k in FrameKind]
    tables = [r.to_frame(FrameKind.PANDAS) for r in results]
    assert all(t.equals(tables[0]) for t in tables[1:])  # NaN equals NaN here (pandas)
    for (label,), fit in results[0]:
        sel = df["g"] == label
        alone = cumulative_incidence(df["t"][sel], df["s"][sel])
        np.testing.assert_array_equal(fit.cif, alone.cif)
        np.testing.assert_array_equal(fit.variance, alone.variance)
    assert sum(f.n_obs for _, f in results[0]) == len(df)


def test_result_plots_render_and_are_saved(tmp_path: Any) -> None:
    bmt = data.bmt().assign(disease=lambda d: np.where(d["dis"] == 0, "ALL", "AML"))  # times in months
    km = kaplan_meier_frame(bmt, time="time", event="status", by="disease", event_codes=(1, 2), time_unit="months")
    assert isinstance(km, GroupedKaplanMeier)
    fig = km.plot(title="Event-free survival by disease (BMT data)")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["disease=ALL (n = 17)", "disease=AML (n = 18)"]
    save_artefact(fig, "frame-km-bmt-by-disease")
    cgvhd = data.cgvhd().assign(graft=lambda d: np.where(d["tx_pb"] == 1, "PB", "BM"))
    cif = cumulative_incidence_frame(
        cgvhd, time="time", status="status", by="graft", causes=(1, 2, 3), time_unit="years"
    )
    assert isinstance(cif, GroupedCumulativeIncidence)
    save_artefact(cif.plot(cause=1, title="Chronic GVHD by graft source"), "frame-cif-cgvhd-by-graft")
    whole = cumulative_incidence(cgvhd["time"], cgvhd["status"], causes=(1, 2, 3), time_unit="years")
    assert [t.get_text() for t in whole.plot().axes[0].get_legend().get_texts()] == ["cause 1", "cause 2", "cause 3"]
    fig = whole.plot(labels={1: "chronic GVHD", 2: "relapse", 3: "death"}, title="Competing events (cGVHD data)")
    save_artefact(fig, "cif-cgvhd-all-causes")
    single = kaplan_meier(bmt["time"], bmt["status"] > 0, time_unit="months")
    save_artefact(single.plot(label="BMT, any event"), "km-bmt-single")


def test_regression_coefficient_tables_match_coxph_and_crr() -> None:
    df = data.bmt()
    cox = cox_ph(df["time"], (df["status"] > 0).astype(int), df[["dis"]].to_numpy(float), covariate_names=["dis"])
    table = cox.to_frame(FrameKind.POLARS)
    coef, se = ref("cox_bmt", "efron:coef")[0], ref("cox_bmt", "efron:se")[0]
    assert table["term"].to_list() == ["dis"]
    assert table["hazard_ratio"][0] == pytest.approx(np.exp(coef), abs=1e-6)
    assert table["std_error"][0] == pytest.approx(se, abs=1e-6)
    assert table["lower"][0] == pytest.approx(np.exp(coef - 1.959963984540054 * se), abs=1e-6)
    assert table["p_value"][0] == pytest.approx(cox.p_value[0], abs=1e-15)
    assert cox.se is cox.std_error  # the former name still answers
    fg = fine_gray(df["time"], df["status"], df[["dis"]].to_numpy(float), covariate_names=["dis"])
    fg_table = fg.to_frame(conf_level=0.9)
    assert fg_table.loc[0, "subdistribution_hazard_ratio"] == pytest.approx(np.exp(ref("fg_bmt", "coef")[0]), abs=1e-6)
    assert fg_table.loc[0, "std_error"] == pytest.approx(ref("fg_bmt", "se")[0], abs=1e-6)
    assert fg_table.loc[0, "upper"] == pytest.approx(np.exp(fg.coef[0] + 1.6448536269514722 * fg.std_error[0]))


def test_every_estimate_shares_the_names_std_error_variance_lower_upper() -> None:
    df = data.bmt()
    km = kaplan_meier(df["time"], (df["status"] > 0).astype(int))
    at = km.at([5.0, 10.0])
    i = np.searchsorted(km.time, [5.0, 10.0], side="right") - 1
    np.testing.assert_array_equal(at.std_error, km.std_error[i])  # summary(fit, times) reads the curve's std.err
    np.testing.assert_array_equal(km.std_error, km.survival * km.cumhaz_std_error)
    np.testing.assert_array_equal(at.variance, at.std_error**2)
    assert at.estimate is at.survival
    np.testing.assert_array_equal(km.survival_at([5.0, 10.0]).survival, at.survival)
    cif = cumulative_incidence(df["time"], df["status"])
    np.testing.assert_array_equal(cif.std_error, np.sqrt(cif.variance))
    frame = at.to_frame()
    assert list(frame.columns) == ["time", "survival", "std_error", "lower", "upper"]
    assert list(cif.at([5.0], 2).to_frame("polars").columns) == [
        *("time", "cause", "incidence", "std_error", "variance", "lower", "upper")
    ]


class _ArrowStream:
    """Any library's frame that speaks the Arrow PyCapsule stream interface (here wrapping a table)."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self._table.__arrow_c_stream__(requested_schema)


def test_arrow_streams_and_decimal_times_are_read() -> None:
    df = data.bmt()
    table = pa.table(
        {
            "months": pa.array([f"{t:.1f}" for t in df["time"]]).cast(pa.decimal128(6, 1)),
            "status": pa.array(df["status"].to_numpy()),
        }
    )
    km = kaplan_meier_frame(_ArrowStream(table), time="months", event="status", event_codes=(1, 2))
    np.testing.assert_allclose(km["All"].survival, ref("km_bmt_any", "surv"), rtol=0, atol=TOL)
    assert isinstance(km.to_frame(), pa.Table)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(-10_000, 10_000), min_size=1, max_size=50),
    allowed=st.lists(st.integers(-5, 9_000), min_size=1, max_size=6),
)
def test_code_membership_equals_isin(values: list[int], allowed: list[int]) -> None:
    arr = np.asarray(values, dtype=np.int64)
    np.testing.assert_array_equal(is_member(arr, allowed), np.isin(arr, allowed))
    assert arr.tolist() == values  # the input is left as it was
