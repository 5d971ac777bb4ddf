"""The centre's own results for patients like this one, from the registry's outcome table.

Similar patients are the centre's first transplants of the same type, donor relation, disease group
(EBMT survey indication group) and age band, other than this episode. Survival at 1 year is the
Kaplan-Meier estimate; death from the treatment (non-relapse mortality) and relapse at 1 year are
cumulative incidences with the other as competing event; each with its 95% confidence limits, from the
estimators of :mod:`engraft.outcomes`. Nothing is shown unless at least ``min_peers`` patients qualify
(default :data:`DEFAULT_MIN_PEERS`); then the report says there are too few to show.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Final

import numpy as np
from pydantic import Field

from engraft.outcomes.activity import disease_group
from engraft.outcomes.cumulative_incidence import cumulative_incidence
from engraft.outcomes.kaplan_meier import kaplan_meier
from engraft.outcomes.outcome_table import OutcomeTable
from engraft.outcomes.registry_endpoints import derive_endpoint
from engraft.provenance import FrozenModel
from engraft.reports.episode_facts import EpisodeFacts
from engraft.reports.frequencies import Frequency
from engraft.reports.messages import N_, Message, Verbatim, msg, verbatim
from engraft.vocabulary import DonorRelation, TransplantType

DEFAULT_MIN_PEERS: Final = 30
LANDMARK_DAYS: Final = 365.0


class AgeBand(StrEnum):
    CHILD = "0-17"
    YOUNG_ADULT = "18-39"
    ADULT = "40-59"
    OLDER_ADULT = "60+"


AGE_BANDS: Final[dict[AgeBand, tuple[float, float]]] = {
    AgeBand.CHILD: (0.0, 18.0),
    AgeBand.YOUNG_ADULT: (18.0, 40.0),
    AgeBand.ADULT: (40.0, 60.0),
    AgeBand.OLDER_ADULT: (60.0, math.inf),
}
"""Each band's [lower, upper) age in years."""


def age_band(age_years: float) -> AgeBand:
    """The band holding ``age_years`` (lower limit included, upper excluded)."""
    for band, (low, high) in AGE_BANDS.items():
        if low <= age_years < high:
            return band
    raise ValueError(f"age_years={age_years!r}: expected a finite age of 0 or more")


class PeerCriteria(FrozenModel):
    """What makes a registry patient similar to this one."""

    centre: str
    transplant_type: TransplantType
    donor_relation: DonorRelation
    disease_group: str
    age_band: AgeBand


class CentreFigure(FrozenModel):
    """One result at 1 year among similar patients, or the reason it cannot be given."""

    endpoint: str
    text: Message
    frequency: Frequency | None


class CentreResults(FrozenModel):
    """The centre's results for similar patients, or the statement that there are too few (or no data)."""

    criteria: PeerCriteria | None
    peers: int = Field(ge=0)
    min_peers: int = Field(ge=1)
    shown: bool
    statement: Message
    figures: tuple[CentreFigure, ...] = ()


def peer_criteria(facts: EpisodeFacts) -> PeerCriteria | None:
    """The criteria for this episode, or None when a fact they need is missing."""
    relation = DonorRelation.AUTOLOGOUS if facts.transplant_type is TransplantType.AUTOLOGOUS else facts.donor_relation
    if relation is None or facts.age_years is None or not facts.icd10:
        return None
    return PeerCriteria(
        centre=facts.centre,
        transplant_type=facts.transplant_type,
        donor_relation=relation,
        disease_group=disease_group(facts.icd10),
        age_band=age_band(facts.age_years),
    )


def similar_patients(table: OutcomeTable, criteria: PeerCriteria, episode_id: int) -> OutcomeTable:
    """The rows of similar patients: same centre, type, donor relation, disease group and age band."""
    low, high = AGE_BANDS[criteria.age_band]
    groups = np.asarray([disease_group(code) for code in table.icd10.tolist()], dtype=np.str_)
    mask = (
        (table.sequence_number == 1)
        & (table.episode_id != episode_id)
        & (table.centre == criteria.centre)
        & (table.transplant_type == criteria.transplant_type.value)
        & (table.donor_relation == criteria.donor_relation.value)
        & (groups == criteria.disease_group)
        & (table.age_years >= low)
        & (table.age_years < high)
    )
    return table.select(mask)


def _percent(value: float) -> float | None:
    return None if not math.isfinite(value) else round(100.0 * value, 1)


def _frequency(estimate: float, lower: float, upper: float) -> Frequency | None:
    percent = _percent(estimate)
    if percent is None:
        return None
    low, high = _percent(lower), _percent(upper)
    if low is None or high is None or not low <= percent <= high:
        return Frequency(percent=percent)
    return Frequency(percent=percent, low=low, high=high)


_WORDING: Final = {
    "os": N_("Of 100 patients like you treated here, about {count} were alive {years} year after the transplant."),
    "nrm": N_(
        "Of 100 patients like you treated here, about {count} had died within {years} year of a problem caused by the "
        "treatment, not by the disease."
    ),
    "relapse": N_(
        "Of 100 patients like you treated here, the disease had come back within {years} year in about {count}."
    ),
}
_NAMES: Final = {"os": N_("survival"), "nrm": N_("death from the treatment"), "relapse": N_("relapse")}


def _estimate(peers: OutcomeTable, endpoint: str) -> Frequency | None:
    derived = derive_endpoint(peers, endpoint)
    if endpoint == "os":
        fit = kaplan_meier(derived.time, derived.status).survival_at([LANDMARK_DAYS])
        return _frequency(float(fit.survival[0]), float(fit.lower[0]), float(fit.upper[0]))
    cif = cumulative_incidence(derived.time, derived.status).at([LANDMARK_DAYS], cause=1)
    return _frequency(float(cif.incidence[0]), float(cif.lower[0]), float(cif.upper[0]))


def _figure(peers: OutcomeTable, endpoint: str) -> CentreFigure:
    frequency = _estimate(peers, endpoint)
    if frequency is None:
        text = msg(
            N_(
                "We cannot yet give the figure at {years} year for {name}: too few of these patients have been "
                "followed that long."
            ),
            name=msg(_NAMES[endpoint]),
            years=1,
        )
        return CentreFigure(endpoint=endpoint, text=text, frequency=None)
    return CentreFigure(
        endpoint=endpoint, text=msg(_WORDING[endpoint], count=frequency.count, years=1), frequency=frequency
    )


_TOO_FEW: Final = N_(
    "{group} Too few to show: only {peers} similar patients were treated here, and we show the centre's own results "
    "only when there are at least {min_peers}. Figures from so few people could mislead."
)
_TOO_FEW_ONE: Final = N_(
    "{group} Too few to show: only {peers} similar patient was treated here, and we show the centre's own results "
    "only when there are at least {min_peers}. Figures from so few people could mislead."
)
_SHOWN: Final = N_("{peers} similar patients were treated here. {group} The ranges show how sure we can be.")
_SHOWN_ONE: Final = N_("{peers} similar patient was treated here. {group} The ranges show how sure we can be.")

_DISEASE_GROUP_NAMES: Final[dict[str, str]] = {
    "CML": N_("chronic myeloid leukaemia"),
    "MDS/MPN": N_("myelodysplastic or myeloproliferative neoplasms"),
    "AML": N_("acute myeloid leukaemia"),
    "ALL": N_("acute lymphoblastic leukaemia"),
    "CLL": N_("chronic lymphocytic leukaemia"),
    "Other leukaemia": N_("other leukaemias"),
    "Plasma cell disorders": N_("plasma cell disorders such as myeloma"),
    "Hodgkin lymphoma": N_("Hodgkin lymphoma"),
    "Non-Hodgkin lymphoma": N_("non-Hodgkin lymphoma"),
    "Bone marrow failure": N_("bone marrow failure"),
    "Haemoglobinopathies": N_("inherited red blood cell disorders such as thalassaemia or sickle cell disease"),
    "Primary immune deficiencies": N_("inborn immune deficiencies"),
    "Autoimmune disease": N_("autoimmune diseases"),
    "Inherited disorders of metabolism": N_("inherited metabolic disorders"),
    "Solid tumours": N_("solid tumours"),
}
"""Plain names of the EBMT survey's indication groups (:data:`engraft.outcomes.activity.INDICATION_RULES`)."""


def disease_group_name(group: str) -> Message | Verbatim:
    """The disease group in plain words, translated; a group without a plain name is shown as it is."""
    name = _DISEASE_GROUP_NAMES.get(group)
    return msg(name) if name is not None else verbatim(group)


def centre_results(table: OutcomeTable, facts: EpisodeFacts, *, min_peers: int = DEFAULT_MIN_PEERS) -> CentreResults:
    """The centre's 1-year results for patients like this one, shown only when ``min_peers`` qualify."""
    if min_peers < 1:
        raise ValueError(f"min_peers={min_peers!r}: expected 1 or more")
    criteria = peer_criteria(facts)
    if criteria is None:
        statement = msg(N_("We cannot find similar patients, because your age, disease or donor is not recorded yet."))
        return CentreResults(criteria=None, peers=0, min_peers=min_peers, shown=False, statement=statement)
    peers = similar_patients(table, criteria, facts.episode_id)
    low, high = AGE_BANDS[criteria.age_band]
    ages = (
        msg(N_("aged {low} to {high}"), low=int(low), high=int(high) - 1)
        if math.isfinite(high)
        else msg(N_("aged {low} or older"), low=int(low))
    )
    group = msg(
        N_(
            "We compare you with patients treated at this centre ({centre}). They had the same type of transplant "
            "and donor as you. They had the same kind of disease ({group}) and were {ages}."
        ),
        centre=verbatim(criteria.centre),
        group=disease_group_name(criteria.disease_group),
        ages=ages,
    )
    if len(peers) < min_peers:
        statement = msg(
            _TOO_FEW_ONE if len(peers) == 1 else _TOO_FEW,
            group=group,
            peers=len(peers),
            min_peers=min_peers,
        )
        return CentreResults(criteria=criteria, peers=len(peers), min_peers=min_peers, shown=False, statement=statement)
    statement = msg(_SHOWN_ONE if len(peers) == 1 else _SHOWN, peers=len(peers), group=group)
    figures = tuple(_figure(peers, endpoint) for endpoint in ("os", "nrm", "relapse"))
    return CentreResults(
        criteria=criteria, peers=len(peers), min_peers=min_peers, shown=True, statement=statement, figures=figures
    )
