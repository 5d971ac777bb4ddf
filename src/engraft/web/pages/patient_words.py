"""Patient-level texts that name the patient's episodes: transplants, immune effector cell (CAR-T) infusions,
both, or none yet.

An episode's own texts (its heading, course, charts, consent page) follow its cell therapy
(:data:`engraft.web.pages.patients_wording.DAY_ZERO_WORDS`). The texts here speak of the patient as a whole: the
episodes heading, the diagnoses table's disease-status column, the events linked to no episode, and the
patient list's phase before day 0. A patient who only had CAR-T is never said to be before or without a
transplant; one who had both kinds keeps the transplant named beside the infusion; one with no episode yet
gets a text naming neither kind alone.

An episode's number counts the patient's episodes of its own kind (:func:`kind_numbers`): a transplant and then a
CAR-T infusion are "transplant 1" and "infusion 1", never "infusion 2", which would read as a second CAR-T
infusion. The stored ``sequence_number`` (either kind, the API's) gives the order.

The diagnosis's disease status is one value per diagnosis (``status_at_transplant``, the status at the day 0
its episode was for): after CAR-T alone it is the status at the infusion; for a patient with both kinds (or
none yet) the column says "at transplant or infusion", as the registry does not say which day 0 it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import Enum
from typing import Final, NamedTuple

from engraft.registry.patient_list_query import CarePhase
from engraft.registry.schemas.episode import EpisodeOut
from engraft.vocabulary import CellTherapy
from engraft.web.i18n import N_


class EpisodeKinds(Enum):
    """Which kinds of episode a patient had."""

    NONE = "none"
    TRANSPLANTS = "transplants"
    INFUSIONS = "infusions"
    BOTH = "both"


def episode_kinds(cell_therapies: Iterable[CellTherapy]) -> EpisodeKinds:
    """The kinds among the cell therapies of a patient's episodes."""
    kinds = set(cell_therapies)
    infusion = CellTherapy.IMMUNE_EFFECTOR_CELLS in kinds
    transplant = CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT in kinds
    if infusion and transplant:
        return EpisodeKinds.BOTH
    if infusion:
        return EpisodeKinds.INFUSIONS
    return EpisodeKinds.TRANSPLANTS if transplant else EpisodeKinds.NONE


def kind_numbers(episodes: Iterable[EpisodeOut]) -> dict[int, int]:
    """Each episode's number (by id) among the patient's episodes of its kind, in the order of the stored sequence
    number: transplant 1, 2...; infusion 1, 2..."""
    numbers: dict[int, int] = {}
    counts: dict[CellTherapy, int] = {}
    for episode in sorted(episodes, key=lambda e: (e.sequence_number, e.id)):
        counts[episode.cell_therapy] = counts.get(episode.cell_therapy, 0) + 1
        numbers[episode.id] = counts[episode.cell_therapy]
    return numbers


class PatientWords(NamedTuple):
    """The msgids of a patient page's texts that name the patient's episodes."""

    episodes_heading: str
    diagnosis_status: str
    """The diagnoses table's column of the disease status at day 0."""
    unlinked_events: str
    """The heading of the events linked to no episode."""


_EITHER: Final = PatientWords(
    N_("Transplants and immune effector cell infusions"),
    N_("Status at transplant or infusion"),
    N_("Events without a transplant or infusion"),
)
PATIENT_WORDS: Final[dict[EpisodeKinds, PatientWords]] = {
    EpisodeKinds.NONE: _EITHER,
    EpisodeKinds.TRANSPLANTS: PatientWords(
        N_("Transplants"), N_("Status at transplant"), N_("Events without a transplant")
    ),
    EpisodeKinds.INFUSIONS: PatientWords(
        N_("Immune effector cell infusions"), N_("Status at infusion"), N_("Events without an infusion")
    ),
    EpisodeKinds.BOTH: _EITHER,
}

BEFORE_DAY0: Final = N_("Before transplant or infusion")
"""The list's phase filter before day 0 (no episode yet, or the newest one's day 0 still ahead), and the phase
of a patient with no episode yet."""
PHASE_LABELS: Final[dict[CarePhase, str]] = {
    CarePhase.PRE_TRANSPLANT: BEFORE_DAY0,
    CarePhase.EARLY: N_("Day 0 to 100"),
    CarePhase.FOLLOW_UP: N_("Follow-up (after day 100)"),
}
"""The phase filter's options."""
BEFORE: Final[dict[CellTherapy, str]] = {
    CellTherapy.HAEMATOPOIETIC_CELL_TRANSPLANT: N_("Pre-transplant"),
    CellTherapy.IMMUNE_EFFECTOR_CELLS: N_("Pre-infusion"),
}
"""The phase of a patient whose newest episode's day 0 is still ahead, by that episode's kind."""


def phase_label(phase: CarePhase, latest_day0: dt.date | None, latest_cell_therapy: CellTherapy | None) -> str:
    """The msgid of a list row's phase: before day 0 it names the newest episode's kind (none yet: either)."""
    if phase is not CarePhase.PRE_TRANSPLANT:
        return PHASE_LABELS[phase]
    if latest_day0 is None or latest_cell_therapy is None:
        return BEFORE_DAY0
    return BEFORE[latest_cell_therapy]
