"""Outcome CSV files: endpoints, groups, covariates and activity rows read; tables and figures written."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from engraft.io.figures import FigureFormat, figure_bytes, save_figure
from engraft.io.outcome_csv import (
    ActivityTable,
    activity_csv,
    covariate_values,
    curve_csv,
    read_activity_csv,
    read_columns,
    read_endpoint_csv,
    read_group_labels,
)
from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.activity import COLUMNS, activity_report
from engraft.outcomes.kaplan_meier import kaplan_meier
from engraft.outcomes.plots import plot_survival
from engraft.outcomes.results import CurvePoint


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "transplants.csv"
    path.write_text(text)
    return path


def test_reads_and_converts_units(tmp_path: Path) -> None:
    path = _write(tmp_path, "transplant_id,os_days,os_status\nT1,365.25,1\nT2,730.5,0\nT3,0,1\n")
    ep = read_endpoint_csv(
        path, name="OS", time_column="os_days", status_column="os_status", time_unit="days", output_unit="years"
    )
    assert ep.ids == ("T1", "T2", "T3")
    np.testing.assert_allclose(ep.time, [1.0, 2.0, 0.0])
    assert ep.time_unit == "years"
    np.testing.assert_allclose(ep.in_unit("months").time, [12.0, 24.0, 0.0])
    fit = kaplan_meier(ep.time, ep.event, time_unit=ep.time_unit)
    assert fit.time_unit == "years"


def test_competing_status_codes(tmp_path: Path) -> None:
    path = _write(tmp_path, "transplant_id,t,s\nA,3,1\nB,4,2\nC,5,0\n")
    ep = read_endpoint_csv(path, name="relapse", time_column="t", status_column="s", time_unit="months", causes=(1, 2))
    assert ep.event.tolist() == [1, 1, 0]
    assert ep.causes == (1, 2)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("transplant_id,t,s\nA,x,1\n", r"line 2, t: got 'x'; expected a number"),
        ("transplant_id,t,s\nA,,1\n", r"line 2, t: got ''; expected a number"),
        ("transplant_id,t,s\nA,nan,1\n", r"line 2, t: got 'nan'; expected a finite number"),
        ("transplant_id,t,s\nA,-3,1\n", r"line 2, t: got -3\.0; expected a time >= 0"),
        ("transplant_id,t,s\nA,3,5\n", r"line 2, s: got 5; expected a code in \[0, 1\]"),
        ("transplant_id,t,s\nA,3,1\nA,4,0\n", r"line 3, transplant_id: got 'A' again \(first on line 2\)"),
        ("transplant_id,t\nA,3\n", r"status_column: got 's'; expected one of the CSV columns"),
        ("transplant_id,t,s\n", r"got no data rows"),
    ],
)
def test_bad_rows_are_refused(tmp_path: Path, text: str, pattern: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(OutcomeInputError, match=pattern):
        read_endpoint_csv(path, name="OS", time_column="t", status_column="s", time_unit="days")


def test_byte_order_mark_and_spaces_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufefftransplant_id,t,s\n T1 , 3 ,1\n".encode())
    ep = read_endpoint_csv(path, name="OS", time_column="t", status_column="s", time_unit="days")
    assert ep.ids == ("T1",) and ep.time.tolist() == [3.0]


def test_group_labels_and_covariates(tmp_path: Path) -> None:
    path = _write(tmp_path, "transplant_id,arm,age,disease\nA,x,50,AML\nB,,,ALL\nC,y,61.5,\n")
    assert read_group_labels(path, "transplant_id", "arm", ["C", "A", "B"]).tolist() == ["y", "x", "missing"]
    with pytest.raises(OutcomeInputError, match=r"group_column: got 'colour'; expected one of the CSV columns"):
        read_group_labels(path, "transplant_id", "colour", ["A"])
    raw = read_columns(path, "transplant_id", [("age", "covariate"), ("disease", "covariate")], ["A", "B", "C"])
    age = covariate_values(raw["age"])
    assert age.dtype == np.float64 and age[0] == 50.0 and np.isnan(age[1])
    assert covariate_values(raw["disease"]).tolist() == ["AML", "ALL", ""]
    with pytest.raises(OutcomeInputError, match=r"transplant_id: got no row for \['Z'\]"):
        read_columns(path, "transplant_id", [("age", "covariate")], ["Z"])


ACTIVITY_HEADER = "centre,year,transplant_type,donor_relation,graft_source,icd10,sequence_number\n"


def test_activity_rows(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        ACTIVITY_HEADER
        + "A,2023,allogeneic,matched sibling,peripheral blood,C92.0,1\nB,2024,autologous,autologous,bone marrow,,2\n",
    )
    rows = read_activity_csv(path)
    assert len(rows) == 2 and rows.year.tolist() == [2023, 2024] and rows.icd10.tolist() == ["C92.0", ""]
    only_b = read_activity_csv(path, centre="B")
    assert only_b.centre.tolist() == ["B"] and only_b.sequence_number.tolist() == [2]
    assert len(read_activity_csv(path, centre="Z")) == 0


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        pytest.param("centre,year\nA,2024\n", r"got no column\(s\) \['transplant_type'", id="missing-columns"),
        pytest.param(
            ACTIVITY_HEADER + "A,2024,allogeneic,,bone marrow,,1\nA,twenty,allogeneic,,bone marrow,,1\n",
            r"line 3, year: got 'twenty'; expected a whole number",
            id="bad-year",
        ),
    ],
)
def test_activity_rows_refused(tmp_path: Path, text: str, pattern: str) -> None:
    with pytest.raises(OutcomeInputError, match=pattern):
        read_activity_csv(_write(tmp_path, text))


def test_tables_written_as_csv() -> None:
    report = activity_report(
        centre=["A", "B"],
        year=[2023, 2024],
        transplant_type=["allogeneic", "autologous"],
        donor_relation=["matched sibling", "autologous"],
        graft_source=["bone marrow", "peripheral blood"],
        icd10=["C92.0", "C90.0"],
        sequence_number=[1, 1],
    )
    by_year = list(csv.DictReader(io.StringIO(activity_csv(report, "by_year"))))
    assert list(by_year[0]) == ["centre", "year", *COLUMNS] and len(by_year) == 3 * 2
    by_indication = activity_csv(report, ActivityTable.BY_INDICATION)
    assert by_indication.startswith("centre,year,indication,")
    with pytest.raises(OutcomeInputError, match="table: got 'by_weather'"):
        activity_csv(report, "by_weather")
    point = CurvePoint(group="all", time=3.0, n_risk=4, n_event=1, estimate=0.75, lower=None, upper=None)
    assert curve_csv([point]).splitlines() == ["group,time,n_risk,n_event,estimate,lower,upper", "all,3.0,4,1,0.75,,"]
    assert curve_csv([]).splitlines() == ["group,time,n_risk,n_event,estimate,lower,upper"]


def test_figures_rendered_and_saved(tmp_path: Path) -> None:
    fig = plot_survival({"all": kaplan_meier([1.0, 2.0, 3.0], [1, 0, 1])})
    assert figure_bytes(fig, FigureFormat.PNG)[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in figure_bytes(fig, "svg")
    written = save_figure(fig, tmp_path / "km.anything")
    assert [p.name for p in written] == ["km.png", "km.svg"]
    with pytest.raises(OutcomeInputError, match="formats: got 'gif'"):
        figure_bytes(fig, "gif")
    assert figure_bytes(fig, "pdf").startswith(b"%PDF")
    with pytest.raises(OutcomeInputError, match="formats: got 'tiff'"):
        save_figure(fig, tmp_path / "nothing", formats=("svg", "tiff"))
    assert not (tmp_path / "nothing.svg").exists(), "formats are checked before anything is written"
