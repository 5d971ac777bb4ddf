"""Conditioning intensity: myeloablative (MAC), reduced intensity (RIC) or non-myeloablative (NMA).

Two named rule sets, each naming the component that decided the class:

``cibmtr-operational``
    MAC if TBI >= 500 cGy single fraction or >= 800 cGy fractionated, busulfan > 9 mg/kg oral
    (> 7.2 mg/kg IV) or melphalan > 150 mg/m2; NMA if the only components are TBI <= 200 cGy,
    fludarabine, cyclophosphamide given with fludarabine, and serotherapy (Bacigalupo 2009 example
    regimens); RIC otherwise. Neither the CIBMTR thresholds nor the Bacigalupo regimen table were
    checked against the primary text (clinical-scores-verification.md section 6.2), so every
    component of this rule set carries ``verified=False``.
``giralt-2009``
    The CIBMTR workshop dose spectrum (verified): regimens below TBI 500 cGy single / 800 cGy
    fractionated, busulfan 9 mg/kg, melphalan 140 mg/m2 and thiotepa 10 mg/kg are RIC (a survey
    consensus of 71% of 56 respondents, not a formal definition); at or above any of them, MAC. The
    workshop gives no busulfan route; an IV dose is compared after dividing by 0.8 (IV = 0.8 x oral),
    an assumption flagged on that component. NMA is not separated from RIC by this rule set.

Busulfan, melphalan and cyclophosphamide doses must be reported in the unit of their thresholds;
mg/kg and mg/m2 are not interconvertible without body size and are refused. The TCI score
(Spyridonidis 2020) is not computed: its per-agent weights were not verified.

Primary-source check (2026-11-26): the Giralt 2009 thresholds were re-read in the PubMed abstract
(PMID 19203728). The abstract states only the RIC side ("< 500 cGy ... single fraction or 800 cGy in
fractionated doses, busulfan dose < 9 mg/kg, melphalan dose <140 mg/m(2), or thiotepa dose < 10
mg/kg"); classing a dose at or above a threshold as MAC is this module's reading. The Bacigalupo 2009
regimen table, the CIBMTR operational MAC thresholds and the TCI weights were not found in any
primary source, so ``cibmtr-operational`` stays unverified.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field, field_validator, model_validator

from engraft.measurements import Dimension, Quantity, require_dimension
from engraft.scores import _compare as cmp
from engraft.scores import sources
from engraft.scores.provenance import Component, FrozenModel, ScoreResult
from engraft.vocabulary import ConditioningDrug, ConditioningIntensity, DrugRoute
from engraft.vocabulary.phrases import Phrase

INSTRUMENT: Final = "conditioning-intensity"

SINGLE_FRACTION: Final = "single fraction"
FRACTIONATED: Final = "fractionated"
NO_MAC_THRESHOLD: Final = "no myeloablative threshold"
TBI_DOSE: Final = Phrase("TBI {dose} cGy in {fractions} fraction(s)")
MAC_TBI_RULE: Final = Phrase("MAC if >= {limit} cGy ({fractionation}); NMA only if <= 200 cGy")
MAC_BUSULFAN_RULE: Final = Phrase("MAC if > {limit} mg/kg ({route})")
REACHES_MAC: Final = Phrase("{component} reaches the myeloablative threshold")
NOT_NMA: Final = Phrase("{component} is not part of a non-myeloablative regimen; no MAC threshold met")
RIC_TBI_RULE: Final = Phrase("RIC if < {limit} cGy ({fractionation})")
RIC_DOSE_RULE: Final = Phrase("RIC if < {limit} {unit}")
RIC_IV_BUSULFAN_RULE: Final = Phrase(
    "{rule}; IV dose compared as oral equivalent {oral} mg/kg (assumption: IV = 0.8 x oral)"
)
ABOVE_RIC: Final = Phrase("{component} is at or above the RIC dose spectrum")
"""The texts of the components and the deciding component (English; the pages translate them)."""
BUSULFAN_IV_TO_ORAL: Final = 0.8


class ConditioningVariant(StrEnum):
    CIBMTR_OPERATIONAL = "cibmtr-operational"
    GIRALT_2009 = "giralt-2009"


_PER_KG = {
    ConditioningDrug.BUSULFAN,
    ConditioningDrug.THIOTEPA,
    ConditioningDrug.CYCLOPHOSPHAMIDE,
    ConditioningDrug.ANTI_THYMOCYTE_GLOBULIN_RABBIT,
    ConditioningDrug.ANTI_THYMOCYTE_GLOBULIN_HORSE,
}
_PER_M2 = {
    ConditioningDrug.MELPHALAN,
    ConditioningDrug.FLUDARABINE,
    ConditioningDrug.TREOSULFAN,
    ConditioningDrug.CARMUSTINE,
    ConditioningDrug.CLOFARABINE,
}
_SEROTHERAPY = {
    ConditioningDrug.ANTI_THYMOCYTE_GLOBULIN_RABBIT,
    ConditioningDrug.ANTI_THYMOCYTE_GLOBULIN_HORSE,
    ConditioningDrug.ALEMTUZUMAB,
}


class AgentDose(FrozenModel):
    agent: ConditioningDrug
    total_dose: Quantity = Field(description="Total course dose, e.g. 12.8 mg/kg or 140 mg/m2.")
    route: DrugRoute | None = None

    @field_validator("total_dose")
    @classmethod
    def _positive(cls, dose: Quantity) -> Quantity:
        if dose.value <= 0:
            raise ValueError(f"total_dose {dose} is not a possible dose; expected a value > 0")
        return dose

    @model_validator(mode="after")
    def _unit_and_route(self) -> AgentDose:
        if self.agent in _PER_KG:
            require_dimension(self.total_dose, Dimension.DOSE_PER_BODY_MASS, f"{self.agent.value}.total_dose")
        elif self.agent in _PER_M2:
            require_dimension(self.total_dose, Dimension.DOSE_PER_BODY_SURFACE, f"{self.agent.value}.total_dose")
        if self.agent is ConditioningDrug.BUSULFAN and self.route is None:
            raise ValueError("busulfan.route is required; expected 'oral' or 'iv' (thresholds differ by route)")
        return self


class TotalBodyIrradiation(FrozenModel):
    total_dose: Quantity
    fractions: int = Field(ge=1, le=20)

    @field_validator("total_dose")
    @classmethod
    def _dose(cls, dose: Quantity) -> Quantity:
        require_dimension(dose, Dimension.ABSORBED_DOSE, "tbi.total_dose")
        if not 0 < dose.to("cGy") <= 2000:
            raise ValueError(f"tbi.total_dose {dose} is not a possible TBI dose; expected > 0 and <= 2000 cGy")
        return dose

    @property
    def cgy(self) -> float:
        return self.total_dose.to("cGy")


class ConditioningInput(FrozenModel):
    variant: ConditioningVariant = ConditioningVariant.CIBMTR_OPERATIONAL
    agents: tuple[AgentDose, ...] = ()
    tbi: TotalBodyIrradiation | None = None

    @model_validator(mode="after")
    def _non_empty_unique(self) -> ConditioningInput:
        if not self.agents and self.tbi is None:
            raise ValueError("a regimen needs at least one agent or TBI; both were empty")
        names = [a.agent for a in self.agents]
        duplicates = sorted({n.value for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"agents listed more than once: {duplicates}; give each agent's total course dose once")
        return self


class ConditioningResult(ScoreResult):
    value: ConditioningIntensity
    deciding_component: str


def _oral_equivalent_bu(dose: AgentDose) -> float:
    mg_kg = dose.total_dose.to("mg/kg")
    return mg_kg / BUSULFAN_IV_TO_ORAL if dose.route is DrugRoute.IV else mg_kg


def _cibmtr(data: ConditioningInput) -> tuple[ConditioningIntensity, str, list[Component]]:
    comps: list[Component] = []
    mac: list[str] = []
    non_nma: list[str] = []
    agents = {a.agent: a for a in data.agents}
    if data.tbi is not None:
        single = data.tbi.fractions == 1
        limit: float = 500 if single else 800
        hit = cmp.ge(data.tbi.cgy, limit)
        rule = MAC_TBI_RULE(limit=limit, fractionation=SINGLE_FRACTION if single else FRACTIONATED)
        text = TBI_DOSE(dose=f"{data.tbi.cgy:g}", fractions=data.tbi.fractions)
        comps.append(Component(item="tbi", input=text, points=0, rule=rule, verified=False))
        if hit:
            mac.append(text)
        elif cmp.gt(data.tbi.cgy, 200):
            non_nma.append(text)
    for agent, dose in agents.items():
        text = f"{agent.value} {dose.total_dose}" + (f" {dose.route.value}" if dose.route else "")
        rule = NO_MAC_THRESHOLD
        if agent is ConditioningDrug.BUSULFAN:
            limit = 7.2 if dose.route is DrugRoute.IV else 9.0
            rule = MAC_BUSULFAN_RULE(limit=f"{limit:g}", route=dose.route.value if dose.route else "oral")
            if cmp.gt(dose.total_dose.to("mg/kg"), limit):
                mac.append(text)
        elif agent is ConditioningDrug.MELPHALAN:
            rule = "MAC if > 150 mg/m2"
            if cmp.gt(dose.total_dose.to("mg/m2"), 150):
                mac.append(text)
        nma_ok = agent in _SEROTHERAPY or agent is ConditioningDrug.FLUDARABINE
        nma_ok = nma_ok or (agent is ConditioningDrug.CYCLOPHOSPHAMIDE and ConditioningDrug.FLUDARABINE in agents)
        if not nma_ok:
            non_nma.append(text)
        comps.append(Component(item=agent.value, input=text, points=0, rule=rule, verified=False))
    if mac:
        return ConditioningIntensity.MAC, REACHES_MAC(component=mac[0]), comps
    if non_nma:
        return (
            ConditioningIntensity.RIC,
            NOT_NMA(component=non_nma[0]),
            comps,
        )
    return ConditioningIntensity.NMA, "only TBI <= 200 cGy, fludarabine, Flu/Cy and serotherapy", comps


def _giralt(data: ConditioningInput) -> tuple[ConditioningIntensity, str, list[Component]]:
    comps: list[Component] = []
    mac: list[str] = []
    if data.tbi is not None:
        single = data.tbi.fractions == 1
        limit: float = 500 if single else 800
        text = TBI_DOSE(dose=f"{data.tbi.cgy:g}", fractions=data.tbi.fractions)
        rule = RIC_TBI_RULE(limit=limit, fractionation=SINGLE_FRACTION if single else FRACTIONATED)
        comps.append(Component(item="tbi", input=text, points=0, rule=rule))
        if cmp.ge(data.tbi.cgy, limit):
            mac.append(text)
    limits = {
        ConditioningDrug.BUSULFAN: (9.0, "mg/kg"),
        ConditioningDrug.MELPHALAN: (140.0, "mg/m2"),
        ConditioningDrug.THIOTEPA: (10.0, "mg/kg"),
    }
    for dose in data.agents:
        text = f"{dose.agent.value} {dose.total_dose}" + (f" {dose.route.value}" if dose.route else "")
        if dose.agent not in limits:
            comps.append(Component(item=dose.agent.value, input=text, points=0, rule="no threshold in Giralt 2009"))
            continue
        limit, unit = limits[dose.agent]
        value = _oral_equivalent_bu(dose) if dose.agent is ConditioningDrug.BUSULFAN else dose.total_dose.to(unit)
        rule = RIC_DOSE_RULE(limit=f"{limit:g}", unit=unit)
        verified = True
        if dose.agent is ConditioningDrug.BUSULFAN and dose.route is DrugRoute.IV:
            rule = RIC_IV_BUSULFAN_RULE(rule=rule, oral=f"{value:.3g}")
            verified = False
        comps.append(Component(item=dose.agent.value, input=text, points=0, rule=rule, verified=verified))
        if cmp.ge(value, limit):
            mac.append(text)
    if mac:
        return ConditioningIntensity.MAC, ABOVE_RIC(component=mac[0]), comps
    return ConditioningIntensity.RIC, "every agent with a threshold is below the RIC dose spectrum", comps


def conditioning_intensity(data: ConditioningInput) -> ConditioningResult:
    """Classify a conditioning regimen, naming the component that decided the class."""
    if data.variant is ConditioningVariant.GIRALT_2009:
        intensity, decided, comps = _giralt(data)
        citation = sources.GIRALT_2009
    else:
        intensity, decided, comps = _cibmtr(data)
        citation = sources.BACIGALUPO_2009
    return ConditioningResult(
        instrument=INSTRUMENT,
        version=data.variant.value,
        value=intensity,
        band=intensity.value,
        deciding_component=decided,
        components=tuple(comps),
        citation=citation,
        notes=("TCI score (Spyridonidis 2020) not computed: per-agent weights not verified.",),
    )
