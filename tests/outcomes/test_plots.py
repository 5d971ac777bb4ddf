"""Figures a journal accepts: rendered for 1 to 6 groups, short and long names, each time unit, and measured.

Every figure is drawn with the Agg backend and saved under ``out/outcome-figures`` to be looked at; the
tests assert what can be measured on the drawing rather than pixels: every text's box inside the figure,
the numbers at risk centred under the time ticks and clear of the group names, ticks in the unit asked,
group sizes, the test's p-value, censoring marks, the incidence axis's limit, one typeface.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from engraft.io.figures import FigureFormat, save_figure
from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.cumulative_incidence import cumulative_incidence, cumulative_incidence_by_group
from engraft.outcomes.kaplan_meier import kaplan_meier
from engraft.outcomes.plot_layout import FONT_FAMILY, FONT_SIZE, CurveTest, incidence_top, p_text, time_ticks
from engraft.outcomes.plots import numbers_at_risk, plot_cumulative_incidence, plot_incidence_by_cause, plot_survival
from engraft.vocabulary import TimeUnit
from tests.outcomes import _outcomes_data as data
from tests.outcomes._artefacts import ARTEFACTS, save_artefact

matplotlib.use("Agg")

SHORT = ("AML", "ALL", "MDS", "CML", "MM", "NHL")
LONG = (
    "Cord blood unit",
    "disease=AML",
    "Peripheral blood stem cells, matched unrelated donor",
    "Bone marrow, haploidentical donor with PTCy",
    "Myelodysplastic syndrome / MPN overlap",
    "Non-Hodgkin lymphoma, relapsed",
)


def _drawn(fig: Figure) -> RendererAgg:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _axes(fig: Figure) -> tuple[Axes, Axes, Axes]:
    """The legend's axes, the curves', the numbers-at-risk table's."""
    key, curves, table = fig.axes
    return key, curves, table


def _flat(text: str) -> str:
    return text.replace("\n", " ")


def _assert_texts_inside(fig: Figure) -> None:
    renderer = _drawn(fig)
    frame = fig.bbox
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text():
            continue
        box = text.get_window_extent(renderer)
        inside = box.x0 >= frame.x0 - 0.5 and box.x1 <= frame.x1 + 0.5 and box.y0 >= frame.y0 - 0.5
        assert inside and box.y1 <= frame.y1 + 0.5, f"{text.get_text()!r} at {box} outside {frame}"


def _assert_nothing_overlaps(fig: Figure) -> None:
    """The table's group names clear of each other, the legend clear of the curves, the curves not crushed."""
    renderer = _drawn(fig)
    key, curves, table = _axes(fig)
    boxes = sorted((t.get_window_extent(renderer) for t in table.get_yticklabels()), key=lambda b: b.y0)
    for lower, upper in itertools.pairwise(boxes):
        assert lower.y1 <= upper.y0 + 0.5, f"table labels overlap: {lower} {upper}"
    legend = key.get_legend().get_window_extent(renderer)
    assert legend.y0 >= curves.get_window_extent(renderer).y1 - 0.5
    assert curves.get_position().height >= 0.3  # the curves keep at least 30% of the figure's height


def _assert_table_under_ticks(fig: Figure) -> None:
    renderer = _drawn(fig)
    _, curves, table = _axes(fig)
    tick_x = sorted(curves.transData.transform((t, 0))[0] for t in curves.get_xticks())
    columns: dict[float, list[float]] = {}
    for text in table.texts:
        x, _ = text.get_position()
        box = text.get_window_extent(renderer)
        columns.setdefault(round(x, 9), []).append((box.x0 + box.x1) / 2)
    assert len(columns) == len(tick_x)
    for (_, centres), tick in zip(sorted(columns.items()), tick_x, strict=True):
        assert all(abs(c - tick) < 0.5 for c in centres)
    labels_right = max(t.get_window_extent(renderer).x1 for t in table.get_yticklabels())
    first_column_left = min(
        t.get_window_extent(renderer).x0 for t in table.texts if t.get_position()[0] == min(curves.get_xticks())
    )
    assert labels_right < first_column_left  # the group names end before the first column of counts


def _groups(n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    df = data.synthetic()
    six = (df["group"] + 3 * df["stratum"]).to_numpy()
    keep = six < n_groups
    return df["time"].to_numpy()[keep], df["status"].to_numpy()[keep], six[keep]


def _km_by_group(names: tuple[str, ...], n_groups: int, unit: str = "days") -> dict[str, object]:
    time, status, group = _groups(n_groups)
    return {
        names[g]: kaplan_meier(time[group == g], (status[group == g] > 0).astype(int), time_unit=unit)
        for g in range(n_groups)
    }


@pytest.mark.parametrize("names", [pytest.param(SHORT, id="short"), pytest.param(LONG, id="long")])
@pytest.mark.parametrize("n_groups", [1, 2, 3, 4, 5, 6])
def test_survival_figure_fits_every_label(names: tuple[str, ...], n_groups: int) -> None:
    curves = _km_by_group(names, n_groups)
    fig = plot_survival(curves, title="Event-free survival", time_unit="months", test=CurveTest("log-rank", 0.0312))
    kind = "long" if names is LONG else "short"
    save_artefact(fig, f"km-{n_groups}-groups-{kind}-names")
    _assert_texts_inside(fig)
    _assert_nothing_overlaps(fig)
    _assert_table_under_ticks(fig)
    key, _, table = _axes(fig)
    shown = [_flat(t.get_text()) for t in table.get_yticklabels()]
    assert shown == list(names[:n_groups])  # whole (maybe on two lines), never cut, first group on top
    legend = key.get_legend()
    entries = [_flat(t.get_text()) for t in legend.get_texts()]
    assert entries == [f"{names[g]} (n = {c.n_obs})" for g, c in enumerate(curves.values())]  # type: ignore[attr-defined]
    assert legend.get_title().get_text() == "log-rank test, p = 0.03"


@pytest.mark.parametrize(
    ("width_mm", "height_mm", "names", "n_groups"),
    [
        pytest.param(85, 120, LONG, 2, id="one-column-2-long-names"),
        pytest.param(85, 150, SHORT, 6, id="one-column-6-short-names"),
        pytest.param(175, 150, LONG, 4, id="two-columns-4-long-names"),
        pytest.param(175, 120, SHORT, 6, id="two-columns-6-short-names"),
    ],
)
def test_journal_sizes_keep_every_text_whole_and_apart(
    width_mm: float, height_mm: float, names: tuple[str, ...], n_groups: int
) -> None:
    size = (width_mm / 25.4, height_mm / 25.4)
    fig = plot_survival(
        _km_by_group(names, n_groups), time_unit="months", test=CurveTest("log-rank", 0.2), size_in=size
    )
    kind = "long" if names is LONG else "short"
    save_artefact(fig, f"km-{n_groups}-{kind}-names-{width_mm}x{height_mm}mm")
    _assert_texts_inside(fig)
    _assert_nothing_overlaps(fig)
    _assert_table_under_ticks(fig)


def test_censoring_marks_sit_on_the_curve_at_each_censored_time() -> None:
    fit = kaplan_meier([1.0, 2.0, 2.0, 3.0, 5.0, 8.0], [1, 0, 1, 0, 1, 0], time_unit="months")
    fig = plot_survival({"all": fit})
    marks = [line for line in fig.axes[1].get_lines() if line.get_marker() == "|"]
    assert len(marks) == 1
    x, y = marks[0].get_data()
    assert np.asarray(x).tolist() == [2.0, 3.0, 8.0]
    np.testing.assert_allclose(np.asarray(y), fit.survival[fit.n_censor > 0])
    no_marks = plot_survival({"all": fit}, censor_marks=False)
    assert not [line for line in no_marks.axes[1].get_lines() if line.get_marker() == "|"]


@pytest.mark.parametrize(
    ("own", "shown", "allowed_steps"),
    [
        pytest.param("days", "months", {3.0, 6.0, 12.0, 24.0}, id="days-as-months"),
        pytest.param("days", "years", {0.5, 1.0, 2.0}, id="days-as-years"),
        pytest.param("days", "days", {100.0, 200.0, 250.0}, id="days"),
    ],
)
def test_time_axis_in_the_unit_asked(own: str, shown: str, allowed_steps: set[float]) -> None:
    curves = _km_by_group(SHORT, 2, unit=own)
    fig = plot_survival(curves, time_unit=shown)
    save_artefact(fig, f"km-time-in-{shown}")
    ax = fig.axes[1]
    assert ax.get_xlabel() == f"Time ({shown})"
    assert fig.axes[2].get_title(loc="left") == f"Number at risk (time in {shown})"
    ticks = ax.get_xticks()
    steps = set(np.round(np.diff(ticks), 9).tolist())
    assert len(steps) == 1 and steps <= allowed_steps
    assert ticks[0] == 0.0 and len(ticks) <= 7
    last_day = max(float(c.time[-1]) for c in curves.values())  # type: ignore[attr-defined]
    factor = {"days": 1.0, "months": 365.25 / 12, "years": 365.25}[shown]
    assert ticks[-2] < last_day / factor <= ticks[-1] == ax.get_xlim()[1]  # the axis ends on the first tick after


@pytest.mark.parametrize(
    ("max_time", "unit", "expected"),
    [
        pytest.param(24.0, TimeUnit.MONTHS, [0, 6, 12, 18, 24], id="24-months-by-6"),
        pytest.param(36.0, TimeUnit.MONTHS, [0, 6, 12, 18, 24, 30, 36], id="36-months-7-ticks"),
        pytest.param(36.1, TimeUnit.MONTHS, [0, 12, 24, 36, 48], id="just-over-36-months-by-12"),
        pytest.param(34.5, TimeUnit.MONTHS, [0, 6, 12, 18, 24, 30, 36], id="axis-ends-on-a-tick"),
        pytest.param(5.3, TimeUnit.YEARS, [0, 1, 2, 3, 4, 5, 6], id="years-by-1"),
        pytest.param(1.2, TimeUnit.YEARS, [0, 0.25, 0.5, 0.75, 1.0, 1.25], id="short-years-by-quarter"),
        pytest.param(730.0, TimeUnit.DAYS, [0, 200, 400, 600, 800], id="two-years-in-days"),
        pytest.param(0.0, TimeUnit.MONTHS, [0], id="nothing-after-0"),
    ],
)
def test_time_ticks(max_time: float, unit: TimeUnit, expected: list[float]) -> None:
    assert time_ticks(max_time, unit).tolist() == expected


def test_cif_axis_is_scaled_to_the_data_and_gray_test_printed() -> None:
    df = data.cgvhd()
    fits = cumulative_incidence_by_group(df["time"], df["status"], df["tx_pb"], causes=(1, 2, 3), time_unit="years")
    fig = plot_cumulative_incidence(
        {"Bone marrow": fits[0], "Peripheral blood": fits[1]}, cause=2, test=CurveTest("Gray", 0.4)
    )
    save_artefact(fig, "cif-relapse-by-graft-scaled")
    _assert_texts_inside(fig)
    _assert_table_under_ticks(fig)
    top = fig.axes[1].get_ylim()[1]
    highest = max(float(np.nanmax(f.upper[:, f.column(2)])) for f in (fits[0], fits[1]))
    assert highest <= top < 1.0
    assert fig.axes[0].get_legend().get_title().get_text() == "Gray test, p = 0.40"


def test_cif_axis_reaches_1_when_the_data_do() -> None:
    fit = cumulative_incidence([1.0, 2.0, 3.0, 4.0], [1, 1, 1, 1], time_unit="months")
    fig = plot_cumulative_incidence({"all": fit}, cause=1)
    assert fig.axes[1].get_ylim() == (0.0, 1.0)


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=20))
def test_incidence_top_is_above_the_data_and_at_most_1(values: list[float]) -> None:
    top = incidence_top([np.asarray(values)])
    assert max(values) <= top <= 1.0


@pytest.mark.parametrize(
    ("p", "text"),
    [
        pytest.param(0.0312, "log-rank test, p = 0.03", id="two-places"),
        pytest.param(0.5, "log-rank test, p = 0.50", id="two-places-trailing-0"),
        pytest.param(0.01, "log-rank test, p = 0.01", id="at-0.01"),
        pytest.param(0.00999, "log-rank test, p = 0.010", id="below-0.01-three-places"),
        pytest.param(0.001, "log-rank test, p = 0.001", id="at-0.001"),
        pytest.param(0.000999, "log-rank test, p < 0.001", id="below-0.001"),
        pytest.param(None, None, id="not-computable"),
        pytest.param(float("nan"), None, id="nan"),
    ],
)
def test_p_value_text(p: float | None, text: str | None) -> None:
    assert p_text(CurveTest("log-rank", p)) == text


def test_one_typeface_and_size() -> None:
    fig = plot_survival(_km_by_group(SHORT, 3), title="Overall survival", test=CurveTest("log-rank", 0.2))
    _drawn(fig)
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    assert {t.get_fontfamily()[0] for t in texts} == {FONT_FAMILY}
    assert {t.get_fontsize() for t in texts} == {FONT_SIZE}


def test_grouped_frame_plots_print_their_test() -> None:
    from engraft.outcomes import cumulative_incidence_frame, kaplan_meier_frame

    bmt = data.bmt().assign(disease=lambda d: np.where(d["dis"] == 0, "ALL", "AML"))
    km = kaplan_meier_frame(bmt, time="time", event="status", by="disease", event_codes=(1, 2), time_unit="months")
    title = km.plot().axes[0].get_legend().get_title().get_text()
    assert title == p_text(CurveTest("log-rank", km.logrank().p_value))
    cgvhd = data.cgvhd().assign(graft=lambda d: np.where(d["tx_pb"] == 1, "PB", "BM"))
    cif = cumulative_incidence_frame(
        cgvhd, time="time", status="status", by="graft", causes=(1, 2, 3), time_unit="years"
    )
    title = cif.plot(cause=1).axes[0].get_legend().get_title().get_text()
    assert title == p_text(CurveTest("Gray", cif.gray_test().for_cause(1).p_value))
    assert cif.plot(cause=1, test=None).axes[0].get_legend().get_title().get_text() == ""


def test_incidence_by_cause_has_one_risk_row_with_the_patients() -> None:
    df = data.cgvhd()
    fit = cumulative_incidence(df["time"], df["status"], causes=(1, 2, 3), time_unit="years")
    fig = plot_incidence_by_cause(fit, labels={1: "chronic GVHD", 2: "relapse", 3: "death"}, time_unit="months")
    save_artefact(fig, "cif-all-causes-in-months")
    _assert_texts_inside(fig)
    assert [t.get_text() for t in fig.axes[2].get_yticklabels()] == ["All (n = 100)"]


def test_chinese_labels_fit() -> None:
    from engraft.web.figure_text import FALLBACK_FAMILY, cjk_font, localised_figure_bytes
    from engraft.web.i18n import SIMPLIFIED_CHINESE

    font = cjk_font()
    if font is None:
        pytest.skip("no font with Chinese glyphs on this machine")
    curves = _km_by_group(SHORT, 3, unit="months")
    fig = plot_survival(curves, test=CurveTest("log-rank", 0.02), time_unit="years", title="Overall survival")
    png = localised_figure_bytes(fig, FigureFormat.PNG, SIMPLIFIED_CHINESE.code)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "km-3-groups-zh.png").write_bytes(png)
    with matplotlib.rc_context({"font.sans-serif": [font, FALLBACK_FAMILY]}):
        _assert_texts_inside(fig)
        _assert_table_under_ticks(fig)
    assert fig.axes[1].get_xlabel() not in ("", "Time (years)")
    assert "对数秩" in fig.axes[0].get_legend().get_title().get_text()
    assert {t.get_fontsize() for t in fig.findobj(Text) if t.get_text()} == {FONT_SIZE}


def test_numbers_at_risk_counts_subjects_still_followed() -> None:
    fit = kaplan_meier([1.0, 2.0, 2.0, 5.0], [1, 0, 1, 1])
    assert numbers_at_risk(fit.time, fit.n_risk, [0, 1, 1.5, 2, 5, 6]).tolist() == [4, 4, 3, 3, 1, 0]


def test_mixed_units_are_refused() -> None:
    a = kaplan_meier([1.0, 2.0], [1, 1], time_unit="days")
    b = kaplan_meier([1.0, 2.0], [1, 1], time_unit="months")
    with pytest.raises(OutcomeInputError, match="time units"):
        plot_survival({"a": a, "b": b})
    with pytest.raises(OutcomeInputError, match="time_unit"):
        plot_survival({"a": a}, time_unit="weeks")


def test_survival_figure_png_and_svg(tmp_path: Path) -> None:
    fig = plot_survival(_km_by_group(SHORT, 2, unit="months"), risk_times=[0, 12, 24, 36, 48])
    written = save_figure(fig, tmp_path / "efs.png")
    assert [p.suffix for p in written] == [".png", ".svg"]
    assert written[0].read_bytes().startswith(b"\x89PNG")
    assert "Number at risk" in written[1].read_text()
    assert fig.axes[1].get_xticks().tolist() == [0, 12, 24, 36, 48]
