"""An episode's course on the patient page: its lab charts and its timeline on one day window.

Pure view building (no database, no request), like :mod:`engraft.web.pages.patients_labs`: :func:`episode_course`
draws the episode's charts with their engraftment days (:mod:`engraft.web.pages.patients_engraftment`) and a
timeline of its events, follow-up visits and assessments (inline SVG, :mod:`engraft.web.charts.timeline`), whose
items are also listed as :class:`TimelineEntry` rows for those who do not see it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from engraft.registry.patient_record import ChartObservation
from engraft.registry.schemas.clinical import AssessmentOut, EventOut, FollowUpOut
from engraft.registry.schemas.episode import EpisodeOut
from engraft.vocabulary import EventSource, EventType
from engraft.web.charts import ChartText
from engraft.web.charts.timeline import Timeline, TimelineItem, TimelineLane, render_timeline
from engraft.web.pages.patients_engraftment import (
    EngraftmentMark,
    computed_neutrophil_engraftment,
    recorded_engraftment,
)
from engraft.web.pages.patients_labs import (
    EARLY_WINDOW,
    LabChartView,
    chart_points,
    episode_observations,
    in_window,
    lab_chart_view,
    lab_charts_of,
)
from engraft.web.pages.patients_wording import (
    DAY_ZERO_WORDS,
    EVENT_LABELS,
    VITAL_LABELS,
    Wording,
    derived_mark,
)


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
    mine = episode_observations(episode, observations, single_episode)
    neutrophil = recorded_engraftment(events, day0, EventType.NEUTROPHIL_ENGRAFTMENT)
    platelet = recorded_engraftment(events, day0, EventType.PLATELET_ENGRAFTMENT)
    words = DAY_ZERO_WORDS[episode.cell_therapy]
    charts = []
    for spec in lab_charts_of(episode.cell_therapy):
        unit, points = chart_points(spec, mine, day0)
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
        shown = [(d, v) for d, v in points if in_window(d, window)]
        charts.append(lab_chart_view(spec, unit, shown, day0, mark, wording, window, words))
    timeline_entries = _timeline_entries(day0, events, visits, assessments, wording)
    lanes = []
    for lane_name in (wording.gettext("Events"), wording.gettext("Follow-up visits"), wording.gettext("Assessments")):
        items = [
            TimelineItem(e.day, e.label) for e in timeline_entries if e.lane == lane_name and in_window(e.day, window)
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
    return EpisodeCourse(charts, Markup(timeline_svg), timeline_entries, neutrophil, platelet, window)


def _timeline_entries(
    day0: dt.date,
    events: Sequence[EventOut],
    visits: Sequence[FollowUpOut],
    assessments: Sequence[AssessmentOut],
    wording: Wording,
) -> list[TimelineEntry]:
    _ = wording.gettext
    entries = [
        TimelineEntry((e.event_date - day0).days, e.event_date, _("Events"), event_label(e, wording)) for e in events
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


def event_label(event: EventOut, wording: Wording) -> str:
    """The event's name, its grade if it has one, and whether the monitoring derived it (not entered by a
    clinician; a derived graft failure still to be confirmed)."""
    label = wording.gettext(EVENT_LABELS[event.event_type])
    grade = event.details.get("grade") or event.details.get("overall_grade")
    if grade is not None:
        grade_word = wording.gettext("grade")
        label += f" ({grade_word} {grade})"
    if event.source is EventSource.DERIVED:
        label += " " + wording.gettext(derived_mark(event.event_type))
    return label
