"""What the patient page shows of a transplant episode: lab charts on the day axis, engraftment, timeline, HLA.

Pure view building (no database, no request): the route reads the record through the registry service and
hands the parts in with a :class:`Wording` (the page language's gettext and number format). Charts are
inline SVG (:mod:`engraft.web.charts`), each with a table of the same values for those who do not see it.

Lab charts (:data:`LAB_CHARTS`): ANC and platelets in 10^9/L with the engraftment thresholds of
:mod:`engraft.grading.engraftment` drawn (not after immune effector cells: :func:`lab_charts_of`); bilirubin
and creatinine in the unit most of the patient's values were sent in (a value under the other code is converted
on the molar-mass basis); CMV viral load on a log scale, one chart per unit (copies/mL and IU/mL depend on the
assay and are never converted into each other).

Engraftment days: the recorded engraftment event of the episode where there is one; otherwise neutrophil
engraftment is computed from the ANC values by the CIBMTR rule (one value a day, the last of each day).
Platelet engraftment is not computed from counts: it needs the platelet transfusion days, which the registry
does not hold, so only a recorded platelet engraftment is marked.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, NamedTuple

from markupsafe import Markup, escape

from engraft.grading.counts import CountMeasurement, CountSeries
from engraft.grading.engraftment import (
    ANC_THRESHOLD,
    PLATELET_THRESHOLD,
    EngraftmentStatus,
    neutrophil_engraftment,
)
from engraft.measurements import Analyte, ConversionBasis, Ucum, convert_concentration, lookup_observation_kind
from engraft.registry.patient_record import ChartObservation
from engraft.registry.schemas.clinical import AssessmentOut, EventOut, FollowUpOut
from engraft.registry.schemas.episode import EpisodeOut
from engraft.vocabulary import CellTherapy, EventType, VitalStatus
from engraft.web.charts import ChartText, DayAxisChart, DayMarker, Threshold, layout_chart, render_svg
from engraft.web.charts.timeline import Timeline, TimelineItem, TimelineLane, render_timeline


def N_(message: str) -> str:
    """Mark a msgid (translated when the page is rendered)."""
    return message


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


class DayZeroWords(NamedTuple):
    """The msgids naming an episode's day 0 on its charts and timeline: the transplant's or the infusion's."""

    course: str
    course_description: str
    day_axis: str
    day0: str


DAY_ZERO_WORDS: Final[dict[CellTherapy, DayZeroWords]] = {
    CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT: DayZeroWords(
        N_("Course of transplant %(number)s"),
        N_("Events, follow-up visits and assessments by day from day 0 (%(date)s); the same items are listed below."),
        N_("Day from transplant"),
        N_("Day 0 (transplant)"),
    ),
    CellTherapy.IMMUNE_EFFECTOR_CELLS: DayZeroWords(
        N_("Course of immune effector cell infusion %(number)s"),
        N_(
            "Events, follow-up visits and assessments by day from the infusion on day 0 (%(date)s); the same items "
            "are listed below."
        ),
        N_("Day from infusion"),
        N_("Day 0 (infusion)"),
    ),
}


EARLY_WINDOW: Final = (-14, 100)
"""The days the charts show by default: conditioning to day +100."""

EVENT_LABELS: Final[dict[EventType, str]] = {
    EventType.NEUTROPHIL_ENGRAFTMENT: N_("Neutrophil engraftment"),
    EventType.PLATELET_ENGRAFTMENT: N_("Platelet engraftment"),
    EventType.ACUTE_GVHD: N_("Acute GVHD"),
    EventType.CHRONIC_GVHD: N_("Chronic GVHD"),
    EventType.INFECTION: N_("Infection"),
    EventType.SOS_VOD: N_("SOS/VOD"),
    EventType.CRS: N_("Cytokine release syndrome (CRS)"),
    EventType.ICANS: N_("ICANS"),
    EventType.GRAFT_FAILURE: N_("Graft failure"),
    EventType.RELAPSE: N_("Relapse"),
    EventType.PROGRESSION: N_("Progression"),
    EventType.SECOND_MALIGNANCY: N_("Second malignancy"),
    EventType.DEATH: N_("Death"),
}

VITAL_LABELS: Final[dict[VitalStatus, str]] = {VitalStatus.ALIVE: N_("alive"), VitalStatus.DEAD: N_("dead")}


@dataclass(frozen=True)
class Wording:
    """The page language: ``gettext`` and locale-aware number and date formats."""

    gettext: Callable[[str], str]
    number: Callable[[float], str]
    date: Callable[[dt.date], str]

    def day(self, day: int) -> str:
        """A day relative to day 0 as ticks and tooltips print it: ``+14``, ``−7``, ``0``."""
        return "0" if day == 0 else (f"+{day}" if day > 0 else f"−{-day}")

    def day_long(self, day: int) -> str:
        return self.gettext("Day %(day)s") % {"day": self.day(day)}


class TableRow(NamedTuple):
    """One value of a chart's table (a named tuple: a chart has hundreds)."""

    day: int
    date: dt.date
    value: float
    unit: str


@dataclass(frozen=True, slots=True)
class EngraftmentMark:
    """An engraftment day shown on a chart: recorded (an event) or computed from the counts."""

    lineage: EventType
    day: int
    date: dt.date
    computed: bool


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


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    day: int
    date: dt.date
    lane: str
    label: str


@dataclass(frozen=True)
class EpisodeCourse:
    """An episode's charts and timeline on one day window."""

    charts: list[LabChartView]
    timeline_svg: Markup
    timeline: list[TimelineEntry]
    neutrophil: EngraftmentMark | None
    platelet: EngraftmentMark | None
    window: tuple[int, int] | None
    notes: list[str] = field(default_factory=list)


def unit_display(code: str) -> str:
    return UNIT_DISPLAY.get(code, code)


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


def recorded_engraftment(events: Sequence[EventOut], day0: dt.date, lineage: EventType) -> EngraftmentMark | None:
    """The episode's first recorded engraftment event of ``lineage``."""
    dated = sorted(e.event_date for e in events if e.event_type is lineage)
    if not dated:
        return None
    return EngraftmentMark(lineage, (dated[0] - day0).days, dated[0], computed=False)


def computed_neutrophil_engraftment(day0: dt.date, anc: Sequence[tuple[int, float]]) -> EngraftmentMark | None:
    """Neutrophil engraftment by the CIBMTR rule from (day, ANC in 10^9/L), the last value of each day counting."""
    last_of_day: dict[int, float] = {}
    for day, value in anc:
        last_of_day[day] = value
    if not last_of_day:
        return None
    series = CountSeries(
        measurements=tuple(CountMeasurement(day=d, value=v, unit="10*9/L") for d, v in sorted(last_of_day.items())),
        day0=day0,
    )
    result = neutrophil_engraftment(series)
    if result.status is not EngraftmentStatus.ENGRAFTED or result.day is None:
        return None
    return EngraftmentMark(EventType.NEUTROPHIL_ENGRAFTMENT, result.day, day0 + dt.timedelta(days=result.day), True)


def _in_window(day: int, window: tuple[int, int] | None) -> bool:
    return window is None or window[0] <= day <= window[1]


def episode_course(
    episode: EpisodeOut,
    observations: Sequence[ChartObservation],
    events: Sequence[EventOut],
    visits: Sequence[FollowUpOut],
    assessments: Sequence[AssessmentOut],
    wording: Wording,
    window: tuple[int, int] | None = EARLY_WINDOW,
    single_episode: bool = True,
    number: int = 1,
) -> EpisodeCourse:
    """Charts and timeline of ``episode``, the patient's ``number``-th of its kind (the timeline's title names it).
    Observations without an episode count for it when it is the only one."""
    day0 = episode.day0
    mine = _episode_observations(episode, observations, single_episode)
    neutrophil = recorded_engraftment(events, day0, EventType.NEUTROPHIL_ENGRAFTMENT)
    platelet = recorded_engraftment(events, day0, EventType.PLATELET_ENGRAFTMENT)
    notes: list[str] = []
    words = DAY_ZERO_WORDS[episode.cell_therapy]
    charts = []
    for spec in lab_charts_of(episode.cell_therapy):
        unit, points = _points(spec, mine, day0)
        if not points and spec.key.startswith("cmv") and spec.key != "cmv-copies":
            continue  # one empty CMV chart is enough
        if spec.engraftment is EventType.NEUTROPHIL_ENGRAFTMENT and neutrophil is None:
            neutrophil = computed_neutrophil_engraftment(day0, points)
        mark = (
            {EventType.NEUTROPHIL_ENGRAFTMENT: neutrophil, EventType.PLATELET_ENGRAFTMENT: platelet}.get(
                spec.engraftment
            )
            if spec.engraftment is not None
            else None
        )
        shown = [(d, v) for d, v in points if _in_window(d, window)]
        charts.append(_chart(spec, unit, shown, day0, mark, wording, window, words))
    timeline_entries = _timeline_entries(day0, events, visits, assessments, wording)
    lanes = []
    for lane_name in (wording.gettext("Events"), wording.gettext("Follow-up visits"), wording.gettext("Assessments")):
        items = [
            TimelineItem(e.day, e.label) for e in timeline_entries if e.lane == lane_name and _in_window(e.day, window)
        ]
        lanes.append(TimelineLane(lane_name, items))
    timeline_text = ChartText(
        title=wording.gettext(words.course) % {"number": number},
        description=wording.gettext(words.course_description) % {"date": wording.date(day0)},
        day_axis=wording.gettext(words.day_axis),
        no_data=wording.gettext("Nothing recorded in these days"),
        day_label=wording.day,
        value_label=wording.number,
    )
    timeline_svg = render_timeline(
        Timeline(f"timeline-{episode.id}", timeline_text, lanes, window or (EARLY_WINDOW[0], 30))
    )
    return EpisodeCourse(charts, Markup(timeline_svg), timeline_entries, neutrophil, platelet, window, notes)


def _episode_observations(
    episode: EpisodeOut, observations: Sequence[ChartObservation], single_episode: bool
) -> list[ChartObservation]:
    """The observations of ``episode``; those without an episode count for it when it is the only one."""
    return [o for o in observations if o.episode_id == episode.id or (o.episode_id is None and single_episode)]


def _points(spec: LabChartSpec, mine: Sequence[ChartObservation], day0: dt.date) -> tuple[str, list[tuple[int, float]]]:
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
    unit, points = _points(spec, _episode_observations(episode, observations, single_episode), day0)
    rows = [TableRow(d, day0 + dt.timedelta(days=d), v, unit) for d, v in points if _in_window(d, window)]
    shown_unit = unit_display(unit)
    title = wording.gettext(spec.title)
    return LabTableView(spec.key, title, unit, shown_unit, rows, _table_body(rows, spec.threshold, wording))


def _chart(
    spec: LabChartSpec,
    unit: str,
    points: list[tuple[int, float]],
    day0: dt.date,
    mark: EngraftmentMark | None,
    wording: Wording,
    window: tuple[int, int] | None,
    words: DayZeroWords,
) -> LabChartView:
    title = wording.gettext(spec.title)
    shown_unit = unit_display(unit)
    thresholds = []
    if spec.threshold is not None:
        label = f"{wording.gettext(spec.threshold_label)} {wording.number(spec.threshold)} {shown_unit}"
        thresholds.append(Threshold(spec.threshold, label))
    markers = [DayMarker(0, wording.gettext(words.day0), "day0")]
    if mark is not None and _in_window(mark.day, window):
        label = wording.gettext(EVENT_LABELS[mark.lineage]) + ": " + wording.day_long(mark.day)
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


def _timeline_entries(
    day0: dt.date,
    events: Sequence[EventOut],
    visits: Sequence[FollowUpOut],
    assessments: Sequence[AssessmentOut],
    wording: Wording,
) -> list[TimelineEntry]:
    _ = wording.gettext
    entries = [
        TimelineEntry((e.event_date - day0).days, e.event_date, _("Events"), _event_label(e, wording)) for e in events
    ]
    for v in visits:
        parts = [_("Follow-up visit"), _(VITAL_LABELS[v.vital_status])]
        if v.performance_score is not None:
            score = _("performance score")
            parts.append(f"{score} {wording.number(v.performance_score)}")
        if v.disease_status is not None:
            parts.append(_(v.disease_status.value))
        entries.append(TimelineEntry((v.visit_date - day0).days, v.visit_date, _("Follow-up visits"), ", ".join(parts)))
    for a in assessments:
        date = a.assessed_at.date()
        value = f" {wording.number(a.value)}" if a.value is not None else ""
        band = f" ({wording.gettext(a.band)})" if a.band else ""
        entries.append(TimelineEntry((date - day0).days, date, _("Assessments"), f"{a.instrument}{value}{band}"))
    return sorted(entries, key=lambda e: (e.day, e.lane))


def _event_label(event: EventOut, wording: Wording) -> str:
    label = wording.gettext(EVENT_LABELS[event.event_type])
    grade = event.details.get("grade") or event.details.get("overall_grade")
    if grade is not None:
        grade_word = wording.gettext("grade")
        label += f" ({grade_word} {grade})"
    return label


@dataclass(frozen=True, slots=True)
class HlaRow:
    locus: str
    patient: str
    donors: list[str]


def hla_by_locus(gl_string: str | None) -> dict[str, str]:
    """A GL String split by locus (``A`` -> ``A*01:01+A*02:01``); ``HLA-`` prefixes dropped for reading."""
    if not gl_string:
        return {}
    loci: dict[str, str] = {}
    for part in gl_string.split("^"):
        text = part.replace("HLA-", "")
        locus = text.split("*", 1)[0] if "*" in text else text
        loci[locus] = loci[locus] + "^" + text if locus in loci else text
    return loci


def hla_rows(patient: str | None, donors: Sequence[str | None]) -> list[HlaRow]:
    """Patient and donor typings side by side, one row per locus (loci in the usual order first)."""
    typed = [hla_by_locus(patient), *(hla_by_locus(d) for d in donors)]
    order = ["A", "B", "C", "DRB1", "DRB3", "DRB4", "DRB5", "DQA1", "DQB1", "DPA1", "DPB1"]
    loci = [locus for locus in order if any(locus in t for t in typed)]
    loci += sorted({locus for t in typed for locus in t} - set(order))
    return [HlaRow(locus, typed[0].get(locus, ""), [t.get(locus, "") for t in typed[1:]]) for locus in loci]
