"""Plot helpers render PNG and SVG with the Agg backend."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest

from engraft.io.figures import save_figure
from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.cumulative_incidence import cumulative_incidence_by_group
from engraft.outcomes.kaplan_meier import kaplan_meier
from engraft.outcomes.plots import numbers_at_risk, plot_cumulative_incidence, plot_survival
from tests.outcomes import _outcomes_data as data

matplotlib.use("Agg")


def test_survival_figure_png_and_svg(tmp_path: Path) -> None:
    df = data.bmt()
    curves = {
        f"dis={g}": kaplan_meier(sub["time"], (sub["status"] > 0).astype(int), time_unit="months")
        for g, sub in df.groupby("dis")
    }
    fig = plot_survival(curves, risk_times=[0, 12, 24, 36, 48], title="Event-free survival")
    written = save_figure(fig, tmp_path / "efs.png")
    assert [p.suffix for p in written] == [".png", ".svg"]
    assert written[0].read_bytes().startswith(b"\x89PNG")
    svg = written[1].read_text()
    assert "<svg" in svg and "Number at risk" in svg


def test_cif_figure(tmp_path: Path) -> None:
    df = data.cgvhd()
    fits = cumulative_incidence_by_group(df["time"], df["status"], df["tx_pb"], causes=(1, 2, 3), time_unit="years")
    fig = plot_cumulative_incidence({"BM": fits[0], "PB": fits[1]}, cause=1)
    (path,) = save_figure(fig, tmp_path / "cgvhd", formats=("svg",))
    assert path.exists()
    with pytest.raises(OutcomeInputError, match="formats"):
        save_figure(fig, tmp_path / "x", formats=("pdf",))


def test_numbers_at_risk_counts_subjects_still_followed() -> None:
    fit = kaplan_meier([1.0, 2.0, 2.0, 5.0], [1, 0, 1, 1])
    assert numbers_at_risk(fit.time, fit.n_risk, [0, 1, 1.5, 2, 5, 6]).tolist() == [4, 4, 3, 3, 1, 0]


def test_mixed_units_are_refused() -> None:
    a = kaplan_meier([1.0, 2.0], [1, 1], time_unit="days")
    b = kaplan_meier([1.0, 2.0], [1, 1], time_unit="months")
    with pytest.raises(OutcomeInputError, match="time units"):
        plot_survival({"a": a, "b": b})
    assert np.isfinite(a.survival).all()
