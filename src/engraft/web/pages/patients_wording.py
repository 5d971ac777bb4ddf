"""The words of an episode's course and charts on the patient page, and the page language they are written in.

An episode's day 0 is a transplant's or an immune effector cell (CAR-T) infusion's: :data:`DAY_ZERO_WORDS`
names it on the charts and the timeline by the episode's cell therapy. :data:`EVENT_LABELS` and
:data:`VITAL_LABELS` are the msgids of the timeline's events and follow-up visits (and of the engraftment day on a
count chart). A :class:`Wording` carries the page language's ``gettext`` and number and date formats into the
view building (:mod:`engraft.web.pages.patients_labs`, :mod:`engraft.web.pages.patients_course`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, NamedTuple

from engraft.vocabulary import CellTherapy, EventType, VitalStatus
from engraft.web.i18n import N_


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

DERIVED_MARK: Final = N_("(derived by monitoring)")
"""Added to an event the monitoring derived (source ``derived``), so that it does not read as one a clinician
entered: on the timeline, its list, the episodes' engraftment days and the events outside any episode."""

DERIVED_TO_CONFIRM_MARK: Final = N_("(derived by monitoring, to be confirmed)")
"""Added instead of :data:`DERIVED_MARK` to a derived event that is a met criterion still to be confirmed
clinically: graft failure (the laboratory criterion; pancytopenia and donor chimerism confirm it)."""

TO_CONFIRM_WHEN_DERIVED: Final = frozenset({EventType.GRAFT_FAILURE})


def derived_mark(event_type: EventType) -> str:
    """The msgid added to a derived event of ``event_type``."""
    return DERIVED_TO_CONFIRM_MARK if event_type in TO_CONFIRM_WHEN_DERIVED else DERIVED_MARK


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
