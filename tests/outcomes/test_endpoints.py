"""Endpoint derivation from a one-row-per-transplant CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.endpoints import convert_time, read_endpoint_csv
from engraft.outcomes.kaplan_meier import kaplan_meier


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
        ("transplant_id,t,s\nA,-3,1\n", r"t\[0\]: got -3\.0; expected a time >= 0"),
        ("transplant_id,t,s\nA,3,5\n", r"s\[0\]: got 5; expected a code in \[0, 1\]"),
        ("transplant_id,t,s\nA,3,1\nA,4,0\n", r"line 3, transplant_id: got 'A' again \(first on line 2\)"),
        ("transplant_id,t\nA,3\n", r"status_column: got 's'; expected one of the CSV columns"),
        ("transplant_id,t,s\n", r"got no data rows"),
    ],
)
def test_bad_rows_are_refused(tmp_path: Path, text: str, pattern: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(OutcomeInputError, match=pattern):
        read_endpoint_csv(path, name="OS", time_column="t", status_column="s", time_unit="days")


def test_unit_conversion_factors() -> None:
    np.testing.assert_allclose(convert_time(np.array([365.25]), "days", "months"), [12.0])
    np.testing.assert_allclose(convert_time(np.array([1.5]), "years", "days"), [547.875])
    with pytest.raises(OutcomeInputError, match="time_unit: got 'weeks'"):
        convert_time(np.array([1.0]), "weeks", "days")
