"""The patient page's lab charts on the day axis, and each chart's values as a table.

Pure view building (no database, no request): the route reads the record through the registry service and
hands the parts in with a :class:`~engraft.web.pages.patients_wording.Wording` (the page language's gettext and
number format). Charts are inline SVG (:mod:`engraft.web.charts`), each with a table of the same values for those
who do not see it.

Lab charts (:data:`LAB_CHARTS`): ANC and platelets in 10^9/L with the engraftment thresholds of
:mod:`engraft.grading.engraftment` drawn (not after immune effector cells: :func:`lab_charts_of`); bilirubin
and creatinine in the unit most of the patient's values were sent in (a value under the other code is converted
on the molar-mass basis); CMV viral load on a log scale, one chart per unit (copies/mL and IU/mL depend on the
assay and are never converted into each other).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, NamedTuple

from markupsafe import Markup, escape

from engraft.grading.engraftment import ANC_THRESHOLD, PLATELET_THRESHOLD
from engraft.measurements import Analyte, ConversionBasis, Ucum, convert_concentration, lookup_observation_kind
from engraft.registry.patient_record import ChartObservation
from engraft.registry.schemas.episode import EpisodeOut
from engraft.vocabulary import CellTherapy, EventType
from engraft.web.charts import ChartText, DayAxisChart, DayMarker, Threshold, layout_chart, render_svg
from engraft.web.i18n import N_
from engraft.web.pages.patients_engraftment import EngraftmentMark
from engraft.web.pages.patients_wording import EVENT_LABELS, DayZeroWords, Wording, derived_mark

UNIT_DISPLAY: Final[dict[str, str]] = {
    Ucum.E9_PER_L.value: "×10⁹/L",
    Ucum.MG_PER_DL.value: "mg/dL",
    Ucum.UMOL_PER_L.value: "µmol/L",
    Ucum.IU_PER_ML.value: "IU/mL",
    Ucum.COPIES_PER_ML.value: "copies/mL",
}
"""How a UCUM code is printed for people (the code itself is shown beside it in the data table)."""


@dataclass(frozen=True, slots=True)
class LabChartSpec:
    """One chart: its key (HTML id part), title (msgid), LOINC codes, display unit and threshold."""

    key: str
    title: str
    loincs: tuple[str, ...]
    unit: Ucum | None
    """The unit shown; None: the unit most of the patient's values were sent in (bilirubin, creatinine)."""
    analyte: Analyte | None = None
    threshold: float | None = None
    threshold_label: str = ""
    log_scale: bool = False
    engraftment: EventType | None = None


LAB_CHARTS: Final[tuple[LabChartSpec, ...]] = (
    LabChartSpec(
        "anc",
        N_("Absolute neutrophil count (ANC)"),
        ("751-8", "753-4", "26499-4"),
        Ucum.E9_PER_L,
        threshold=ANC_THRESHOLD,
        threshold_label=N_("Neutrophil engraftment threshold"),
        engraftment=EventType.NEUTROPHIL_ENGRAFTMENT,
    ),
    LabChartSpec(
        "platelets",
        N_("Platelets"),
        ("777-3", "778-1", "26515-7"),
        Ucum.E9_PER_L,
        threshold=PLATELET_THRESHOLD,
        threshold_label=N_("Platelet engraftment threshold"),
        engraftment=EventType.PLATELET_ENGRAFTMENT,
    ),
    LabChartSpec("bilirubin", N_("Total bilirubin"), ("1975-2", "14631-6"), None, analyte=Analyte.BILIRUBIN),
    LabChartSpec("creatinine", N_("Creatinine"), ("2160-0", "14682-9"), None, analyte=Analyte.CREATININE),
    LabChartSpec("cmv-copies", N_("CMV viral load"), ("30247-1",), Ucum.COPIES_PER_ML, log_scale=True),
    LabChartSpec("cmv-iu", N_("CMV viral load"), ("72493-0",), Ucum.IU_PER_ML, log_scale=True),
)
CHART_LOINCS: Final = frozenset(code for spec in LAB_CHARTS for code in spec.loincs)
CHARTS_BY_KEY: Final = {spec.key: spec for spec in LAB_CHARTS}
LAB_CHARTS_AFTER_IMMUNE_EFFECTOR_CELLS: Final = tuple(
    replace(spec, threshold=None, threshold_label="", engraftment=None) for spec in LAB_CHARTS
)
"""The charts of an immune effector cell (CAR-T) episode: the same values, no engraftment threshold or day (the
CIBMTR engraftment definitions are a transplant's recovery, not counts after lymphodepletion)."""


def lab_charts_of(cell_therapy: CellTherapy) -> tuple[LabChartSpec, ...]:
    """The lab charts of an episode of ``cell_therapy``."""
    if cell_therapy is CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT:
        return LAB_CHARTS
    return LAB_CHARTS_AFTER_IMMUNE_EFFECTOR_CELLS


EARLY_WINDOW: Final = (-14, 100)
"""The days the charts show by default: conditioning to day +100."""


def in_window(day: int, window: tuple[int, int] | None) -> bool:
    return window is None or window[0] <= day <= window[1]


class TableRow(NamedTuple):
    """One value of a chart's table (a named tuple: a chart has hundreds)."""

    day: int
    date: dt.date
    value: float
    unit: str


@dataclass(frozen=True)
class LabChartView:
    key: str
    title: str
    unit: str
    """The UCUM code of the values shown."""
    unit_display: str
    svg: Markup
    rows: list[TableRow]
    engraftment: EngraftmentMark | None = None
    threshold: float | None = None
    threshold_label: str = ""

    @property
    def empty(self) -> bool:
        return not self.rows


@dataclass(frozen=True)
class LabTableView:
    """A chart's values as a table, fetched on request (the page itself carries the chart and its summary)."""

    key: str
    title: str
    unit: str
    unit_display: str
    rows: list[TableRow]
    body: Markup
    """The table's rows as HTML, written once in Python (hundreds of rows: a template loop with a macro and
    two filters per row was most of the page's rendering time)."""


def unit_display(code: str) -> str:
    return UNIT_DISPLAY.get(code, code)


def episode_observations(
    episode: EpisodeOut, observations: Sequence[ChartObservation], single_episode: bool
) -> list[ChartObservation]:
    """The observations of ``episode``; those without an episode count for it when it is the only one."""
    return [o for o in observations if o.episode_id == episode.id or (o.episode_id is None and single_episode)]


def _values_in(
    spec: LabChartSpec, observations: Sequence[ChartObservation]
) -> tuple[str, list[tuple[ChartObservation, float]]]:
    """The unit ``spec`` shows and every observation's value in it."""
    mine = [o for o in observations if o.loinc in spec.loincs]
    canonical_units = {code: lookup_observation_kind(code).canonical_unit.value for code in spec.loincs}
    if spec.unit is not None:
        unit = spec.unit.value
    else:
        canonical = Counter(canonical_units[o.loinc] for o in mine)
        unit = canonical.most_common(1)[0][0] if canonical else canonical_units[spec.loincs[0]]
    values = []
    for o in mine:
        canonical_unit = canonical_units[o.loinc]
        if canonical_unit == unit:
            values.append((o, o.value_canonical))
        elif spec.analyte is not None:
            value = convert_concentration(
                o.value_canonical, canonical_unit, unit, spec.analyte, ConversionBasis.MOLAR_MASS
            )
            values.append((o, value))
    return unit, values


def chart_points(
    spec: LabChartSpec, mine: Sequence[ChartObservation], day0: dt.date
) -> tuple[str, list[tuple[int, float]]]:
    """The unit ``spec`` shows and its (day from day 0, value in that unit) points, every day."""
    unit, values = _values_in(spec, mine)
    return unit, [((o.observed_at.date() - day0).days, value) for o, value in values]


def lab_table(
    key: str,
    episode: EpisodeOut,
    observations: Sequence[ChartObservation],
    wording: Wording,
    window: tuple[int, int] | None = EARLY_WINDOW,
    single_episode: bool = True,
) -> LabTableView | None:
    """The values of ``episode``'s chart ``key`` on ``window`` as a table (the page's "Values as a table");
    None when there is no chart ``key``. The same values, unit and days as the chart on the page."""
    spec = next((spec for spec in lab_charts_of(episode.cell_therapy) if spec.key == key), None)
    if spec is None:
        return None
    day0 = episode.day0
    unit, points = chart_points(spec, episode_observations(episode, observations, single_episode), day0)
    rows = [TableRow(d, day0 + dt.timedelta(days=d), v, unit) for d, v in points if in_window(d, window)]
    shown_unit = unit_display(unit)
    title = wording.gettext(spec.title)
    return LabTableView(spec.key, title, unit, shown_unit, rows, _table_body(rows, spec.threshold, wording))


def lab_chart_view(
    spec: LabChartSpec,
    unit: str,
    points: list[tuple[int, float]],
    day0: dt.date,
    mark: EngraftmentMark | None,
    wording: Wording,
    window: tuple[int, int] | None,
    words: DayZeroWords,
) -> LabChartView:
    """The chart of ``spec``'s ``points`` (in ``unit``) on ``window``, its day 0 and engraftment day marked."""
    title = wording.gettext(spec.title)
    shown_unit = unit_display(unit)
    thresholds = []
    if spec.threshold is not None:
        label = f"{wording.gettext(spec.threshold_label)} {wording.number(spec.threshold)} {shown_unit}"
        thresholds.append(Threshold(spec.threshold, label))
    markers = [DayMarker(0, wording.gettext(words.day0), "day0")]
    if mark is not None and in_window(mark.day, window):
        label = wording.gettext(EVENT_LABELS[mark.lineage]) + ": " + wording.day_long(mark.day)
        if mark.derived:
            label += " " + wording.gettext(derived_mark(mark.lineage))
        markers.append(DayMarker(mark.day, label, "engraftment"))
    if points:
        description = wording.gettext(
            "%(count)s values from day %(first)s to day %(last)s, in %(unit)s; the table below lists them."
        ) % {
            "count": wording.number(len(points)),
            "first": wording.day(points[0][0]),
            "last": wording.day(points[-1][0]),
            "unit": shown_unit,
        }
    else:
        description = wording.gettext("No values in these days.")
    if thresholds:
        description += " " + thresholds[0].label + "."
    if mark is not None:
        description += " " + markers[-1].label + "."
    text = ChartText(
        title=f"{title} ({shown_unit})",
        description=description,
        day_axis=wording.gettext(words.day_axis),
        no_data=wording.gettext("No results in these days"),
        day_label=wording.day,
        value_label=wording.number,
    )
    days = window if window is not None else (EARLY_WINDOW[0], 30)
    chart = DayAxisChart(
        f"chart-{spec.key}-{day0.isoformat()}",
        text,
        shown_unit,
        points,
        thresholds=thresholds,
        markers=markers,
        log_scale=spec.log_scale,
        days=days,
    )
    rows = [TableRow(d, day0 + dt.timedelta(days=d), v, unit) for d, v in points]
    return LabChartView(
        spec.key,
        title,
        unit,
        shown_unit,
        Markup(render_svg(layout_chart(chart))),
        rows,
        mark,
        spec.threshold,
        wording.gettext(spec.threshold_label) if spec.threshold_label else "",
    )


def _table_body(rows: Sequence[TableRow], threshold: float | None, wording: Wording) -> Markup:
    """``<tr>`` per value: day, date and value as the page's language writes them; below the threshold marked."""
    below = ' class="below-threshold"'
    return Markup(
        "".join(
            f"<tr{below if threshold is not None and row.value < threshold else ''}>"
            f'<td class="number">{escape(wording.day(row.day))}</td><td>{escape(wording.date(row.date))}</td>'
            f'<td class="number">{escape(wording.number(row.value))}</td></tr>'
            for row in rows
        )
    )
