"""Conditioning intensity: myeloablative (MAC), reduced intensity (RIC) or non-myeloablative (NMA).

Two named rule sets, each naming the component that decided the class, and each threshold citing its
own source with its verification level (see docs/clinical-evidence.md):

``cibmtr-operational``
    The Bacigalupo 2009 working definitions (categories, ``primary-abstract``) applied with these
    thresholds:

    * TBI: MAC at >= 500 cGy single fraction or >= 800 cGy fractionated (Bacigalupo 2009 as stated in
      the EBMT Handbook ch. 13, ``secondary``); NMA only at <= 200 cGy (the Seattle Flu/TBI 2 Gy
      example, same sources).
    * Busulfan: MAC at >= 9 mg/kg oral, the CIBMTR workshop's RIC limit (Giralt 2009 abstract: RIC
      "busulfan dose < 9 mg/kg", ``primary-abstract``). An IV dose is compared as its oral equivalent
      (IV = 0.8 x oral, an assumption: ``unverified``).
    * Melphalan: MAC above 140 mg/m2, RIC at or below (Bacigalupo 2009 as given in secondary notes,
      "melphalan <= 140 mg/m2" for RIC; the operator was not checked in the paper: ``unverified``).
      The EBMT Handbook ch. 13 lists Flu/Mel among the RIC regimens, so Flu/Mel 140 is RIC here.
    * NMA: only TBI <= 200 cGy, fludarabine, serotherapy and cyclophosphamide given with fludarabine
      at a total below 120 mg/kg; RIC otherwise. The 120 mg/kg limit is ``unverified``: Bacigalupo
      2009 and the Handbook name Flu/Cy as NMA without a dose, and 120 mg/kg (Cy 60 mg/kg x 2) is the
      cyclophosphamide of the Handbook's classic myeloablative regimens, so a Flu/Cy regimen at that
      dose is not called NMA.
    * Fludarabine fits an NMA regimen (``secondary``, the Handbook's examples); serotherapy and agents
      without a threshold here are ``unverified``.
``giralt-2009``
    The CIBMTR workshop dose spectrum (Giralt 2009 abstract, ``primary-abstract``): regimens below TBI
    500 cGy single / 800 cGy fractionated, busulfan 9 mg/kg, melphalan 140 mg/m2 and thiotepa 10 mg/kg
    are RIC (a survey consensus of 71% of 56 respondents, not a formal definition); at or above any of
    them, outside the RIC spectrum and classed MAC. The abstract's limit is "melphalan dose < 140
    mg/m2", so Flu/Mel 140 is not RIC under this rule set, unlike under ``cibmtr-operational``; the
    result says so. An IV busulfan dose is compared after dividing by 0.8 (``unverified``). NMA is not
    separated from RIC by this rule set.

Busulfan, melphalan and cyclophosphamide doses must be reported in the unit of their thresholds;
mg/kg and mg/m2 are not interconvertible without body size and are refused. The TCI score
(Spyridonidis 2020) is not computed: its per-agent weights were not verified.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field, field_validator, model_validator

from engraft.measurements import Dimension, Quantity, require_dimension
from engraft.scores import _compare as cmp
from engraft.scores import sources
from engraft.scores.provenance import Component, FrozenModel, ScoreResult, VerificationLevel
from engraft.vocabulary import ConditioningDrug, ConditioningIntensity, DrugRoute
from engraft.vocabulary.phrases import Phrase

INSTRUMENT: Final = "conditioning-intensity"

SINGLE_FRACTION: Final = "single fraction"
FRACTIONATED: Final = "fractionated"
NO_MAC_THRESHOLD: Final = "no myeloablative threshold"
TBI_DOSE: Final = Phrase("TBI {dose} cGy in {fractions} fraction(s)")
MAC_TBI_RULE: Final = Phrase("MAC if >= {limit} cGy ({fractionation}); NMA only if <= 200 cGy")
MAC_AT_OR_ABOVE_RULE: Final = Phrase("MAC if >= {limit} {unit}")
MAC_ABOVE_RULE: Final = Phrase("MAC if > {limit} {unit}")
NMA_FLU_CY_RULE: Final = Phrase("NMA only with fludarabine and below {limit} mg/kg")
ONLY_NMA: Final = Phrase("only TBI <= 200 cGy, fludarabine, Flu/Cy below {limit} mg/kg and serotherapy")
REACHES_MAC: Final = Phrase("{component} reaches the myeloablative threshold")
NOT_NMA: Final = Phrase("{component} is not part of a non-myeloablative regimen; no MAC threshold met")
RIC_TBI_RULE: Final = Phrase("RIC if < {limit} cGy ({fractionation})")
RIC_DOSE_RULE: Final = Phrase("RIC if < {limit} {unit}")
RIC_IV_BUSULFAN_RULE: Final = Phrase(
    "{rule}; IV dose compared as oral equivalent {oral} mg/kg (assumption: IV = 0.8 x oral)"
)
ABOVE_RIC: Final = Phrase("{component} is at or above the RIC dose spectrum")
"""The texts of the components and the deciding component (English; the pages translate them)."""
FLU_MEL_140_NOTE: Final = (
    "Melphalan 140 mg/m2 is outside Giralt 2009's RIC spectrum ('< 140 mg/m2'), but Bacigalupo 2009 "
    "(RIC melphalan <= 140 mg/m2) and the EBMT Handbook ch. 13 (Flu/Mel: RIC) class Flu/Mel 140 as RIC; "
    "see rule set 'cibmtr-operational'."
)
"""The note of a giralt-2009 result that classes melphalan 140 mg/m2 outside the RIC spectrum."""
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
    fractions: int = Field(ge=1, le=20, strict=True)

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


BUSULFAN_RIC_LIMIT_MG_KG: Final = 9.0
"""Giralt 2009: RIC "busulfan dose < 9 mg/kg" (oral); at or above it a regimen is outside the RIC spectrum."""
MELPHALAN_RIC_LIMIT_MG_M2: Final = 140.0
"""Giralt 2009: RIC "melphalan dose < 140 mg/m2"; Bacigalupo 2009 (secondary notes): RIC melphalan <= 140 mg/m2."""
THIOTEPA_RIC_LIMIT_MG_KG: Final = 10.0
"""Giralt 2009: RIC "thiotepa dose < 10 mg/kg"."""
NMA_TBI_LIMIT_CGY: Final = 200.0
"""Bacigalupo 2009 / EBMT Handbook ch. 13: Flu with TBI 2 Gy (the Seattle protocol) is non-myeloablative."""
NMA_FLU_CY_LIMIT_MG_KG: Final = 120.0
"""Unverified: Flu/Cy is NMA below the cyclophosphamide of the classic MAC regimens (Cy 60 mg/kg x 2)."""

_ABSTRACT = VerificationLevel.PRIMARY_ABSTRACT
_HB13 = (sources.EBMT_HANDBOOK_CH13,)


def _tbi_mac_limit(tbi: TotalBodyIrradiation) -> float:
    return 500.0 if tbi.fractions == 1 else 800.0


def _busulfan_component(dose: AgentDose, text: str, rule_set: str) -> tuple[Component, bool]:
    value = _oral_equivalent_bu(dose)
    at_or_above = cmp.ge(value, BUSULFAN_RIC_LIMIT_MG_KG)
    limit = f"{BUSULFAN_RIC_LIMIT_MG_KG:g}"
    rule = (
        MAC_AT_OR_ABOVE_RULE(limit=limit, unit="mg/kg")
        if rule_set == "cibmtr-operational"
        else RIC_DOSE_RULE(limit=limit, unit="mg/kg")
    )
    level = _ABSTRACT
    if dose.route is DrugRoute.IV:
        rule = RIC_IV_BUSULFAN_RULE(rule=rule, oral=f"{value:.3g}")
        level = VerificationLevel.UNVERIFIED
    component = Component(
        item=dose.agent.value, input=text, points=0, rule=rule, verification=level, source=sources.GIRALT_2009
    )
    return component, at_or_above


def _other_agent(agent: ConditioningDrug, text: str, nma_ok: bool) -> Component:
    """An agent without a myeloablative threshold in this rule set, and whether it fits a non-myeloablative regimen.

    Fludarabine: the NMA examples Flu + TBI 2 Gy and Flu/Cy (Bacigalupo 2009, as the EBMT Handbook ch. 13 gives
    them), ``secondary``. Serotherapy with them (Flu + Cy +/- ATG) is read only in secondary notes, and every other
    agent has no threshold here though some have one elsewhere (thiotepa 10 mg/kg, Giralt 2009): ``unverified``.
    """
    rule = NO_MAC_THRESHOLD
    if agent is ConditioningDrug.FLUDARABINE:
        return Component(
            item=agent.value,
            input=text,
            points=0,
            rule=rule,
            verification=VerificationLevel.SECONDARY,
            source=sources.BACIGALUPO_2009,
            reproduced_in=_HB13,
        )
    return Component(
        item=agent.value,
        input=text,
        points=0,
        rule=rule,
        verification=VerificationLevel.UNVERIFIED,
        source=sources.BACIGALUPO_2009,
    )


def _cibmtr(data: ConditioningInput) -> tuple[ConditioningIntensity, str, list[Component]]:
    comps: list[Component] = []
    mac: list[str] = []
    non_nma: list[str] = []
    agents = {a.agent: a for a in data.agents}
    if data.tbi is not None:
        limit = _tbi_mac_limit(data.tbi)
        kind = SINGLE_FRACTION if data.tbi.fractions == 1 else FRACTIONATED
        text = TBI_DOSE(dose=f"{data.tbi.cgy:g}", fractions=data.tbi.fractions)
        rule = MAC_TBI_RULE(limit=f"{limit:g}", fractionation=kind)
        comps.append(
            Component(
                item="tbi",
                input=text,
                points=0,
                rule=rule,
                verification=VerificationLevel.SECONDARY,
                source=sources.BACIGALUPO_2009,
                reproduced_in=_HB13,
            )
        )
        if cmp.ge(data.tbi.cgy, limit):
            mac.append(text)
        elif cmp.gt(data.tbi.cgy, NMA_TBI_LIMIT_CGY):
            non_nma.append(text)
    with_fludarabine = ConditioningDrug.FLUDARABINE in agents
    for agent, dose in agents.items():
        text = f"{agent.value} {dose.total_dose}" + (f" {dose.route.value}" if dose.route else "")
        nma_ok = agent in _SEROTHERAPY or agent is ConditioningDrug.FLUDARABINE
        if agent is ConditioningDrug.BUSULFAN:
            component, hit = _busulfan_component(dose, text, "cibmtr-operational")
            if hit:
                mac.append(text)
        elif agent is ConditioningDrug.MELPHALAN:
            component = Component(
                item=agent.value,
                input=text,
                points=0,
                rule=MAC_ABOVE_RULE(limit=f"{MELPHALAN_RIC_LIMIT_MG_M2:g}", unit="mg/m2"),
                verification=VerificationLevel.UNVERIFIED,
                source=sources.BACIGALUPO_2009,
            )
            if cmp.gt(dose.total_dose.to("mg/m2"), MELPHALAN_RIC_LIMIT_MG_M2):
                mac.append(text)
        elif agent is ConditioningDrug.CYCLOPHOSPHAMIDE:
            nma_ok = with_fludarabine and cmp.lt(dose.total_dose.to("mg/kg"), NMA_FLU_CY_LIMIT_MG_KG)
            component = Component(
                item=agent.value,
                input=text,
                points=0,
                rule=NMA_FLU_CY_RULE(limit=f"{NMA_FLU_CY_LIMIT_MG_KG:g}"),
                verification=VerificationLevel.UNVERIFIED,
                source=sources.BACIGALUPO_2009,
            )
        else:
            component = _other_agent(agent, text, nma_ok)
        if not nma_ok:
            non_nma.append(text)
        comps.append(component)
    if mac:
        return ConditioningIntensity.MAC, REACHES_MAC(component=mac[0]), comps
    if non_nma:
        return (
            ConditioningIntensity.RIC,
            NOT_NMA(component=non_nma[0]),
            comps,
        )
    return (
        ConditioningIntensity.NMA,
        ONLY_NMA(limit=f"{NMA_FLU_CY_LIMIT_MG_KG:g}"),
        comps,
    )


def _giralt(data: ConditioningInput) -> tuple[ConditioningIntensity, str, list[Component]]:
    comps: list[Component] = []
    mac: list[str] = []
    cited = {"verification": _ABSTRACT, "source": sources.GIRALT_2009}
    if data.tbi is not None:
        limit = _tbi_mac_limit(data.tbi)
        text = TBI_DOSE(dose=f"{data.tbi.cgy:g}", fractions=data.tbi.fractions)
        rule = RIC_TBI_RULE(
            limit=f"{limit:g}", fractionation=SINGLE_FRACTION if data.tbi.fractions == 1 else FRACTIONATED
        )
        comps.append(Component(item="tbi", input=text, points=0, rule=rule, **cited))
        if cmp.ge(data.tbi.cgy, limit):
            mac.append(text)
    limits = {
        ConditioningDrug.MELPHALAN: (MELPHALAN_RIC_LIMIT_MG_M2, "mg/m2"),
        ConditioningDrug.THIOTEPA: (THIOTEPA_RIC_LIMIT_MG_KG, "mg/kg"),
    }
    for dose in data.agents:
        text = f"{dose.agent.value} {dose.total_dose}" + (f" {dose.route.value}" if dose.route else "")
        if dose.agent is ConditioningDrug.BUSULFAN:
            component, hit = _busulfan_component(dose, text, "giralt-2009")
            comps.append(component)
            if hit:
                mac.append(text)
            continue
        if dose.agent not in limits:
            comps.append(
                Component(item=dose.agent.value, input=text, points=0, rule="no threshold in Giralt 2009", **cited)
            )
            continue
        limit, unit = limits[dose.agent]
        comps.append(
            Component(
                item=dose.agent.value, input=text, points=0, rule=RIC_DOSE_RULE(limit=f"{limit:g}", unit=unit), **cited
            )
        )
        if cmp.ge(dose.total_dose.to(unit), limit):
            mac.append(text)
    if mac:
        return ConditioningIntensity.MAC, ABOVE_RIC(component=mac[0]), comps
    return ConditioningIntensity.RIC, "every agent with a threshold is below the RIC dose spectrum", comps


def _notes(data: ConditioningInput, intensity: ConditioningIntensity) -> tuple[str, ...]:
    notes = ["TCI score (Spyridonidis 2020) not computed: per-agent weights not verified."]
    melphalan = next((a for a in data.agents if a.agent is ConditioningDrug.MELPHALAN), None)
    if (
        data.variant is ConditioningVariant.GIRALT_2009
        and melphalan is not None
        and intensity is ConditioningIntensity.MAC
        and cmp.eq(melphalan.total_dose.to("mg/m2"), MELPHALAN_RIC_LIMIT_MG_M2)
    ):
        notes.append(FLU_MEL_140_NOTE)
    return tuple(notes)


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
        notes=_notes(data, intensity),
    )
