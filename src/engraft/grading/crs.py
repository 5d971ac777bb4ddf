"""Cytokine release syndrome (CRS) grade 0-4 after immune effector cell therapy (ASTCT consensus, Lee 2019).

CRS needs fever (temperature >= 38.0 °C not attributable to another cause). Once antipyretic or
anti-cytokine therapy (e.g. tocilizumab, steroids) has been started, fever is no longer required and the
grade is driven by hypotension and hypoxia. The grade is that of the more severe of the two:

========  =================================================  ==============================================
grade     hypotension                                        hypoxia (oxygen delivery)
========  =================================================  ==============================================
1         none                                               none
2         not requiring vasopressors                         low-flow nasal cannula (<= 6 L/min) or blow-by
3         one vasopressor, with or without vasopressin       high-flow nasal cannula (> 6 L/min), facemask,
                                                             non-rebreather or Venturi mask
4         multiple vasopressors (vasopressin not counted)    positive pressure (CPAP, BiPAP, intubation and
                                                             mechanical ventilation)
========  =================================================  ==============================================

Organ toxicities are graded by CTCAE and do not change the CRS grade; grade 5 (death from CRS) is not
graded here. The temperature carries its UCUM unit (``Cel`` or ``[degF]``) and is converted by
:mod:`engraft.measurements`; the oxygen flow of a nasal cannula carries ``L/min`` (or ``mL/min``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field, model_validator

from engraft.grading import sources
from engraft.grading.rule import GradingRule
from engraft.measurements import Dimension, Quantity, lookup_observation_kind, require_dimension
from engraft.provenance import FrozenModel, VerificationLevel

FEVER_THRESHOLD_CELSIUS: Final = 38.0
"""A temperature exactly at 38.0 °C is fever."""
LOW_FLOW_MAX_L_PER_MIN: Final = 6.0
"""A nasal cannula at exactly 6 L/min is low-flow; above 6 L/min it is high-flow."""
BODY_TEMPERATURE_LOINC: Final = "8310-5"
"""Its catalogue entry gives the possible range (25-45 Cel) outside which a temperature is refused."""
_DECIMALS: Final = 6
"""Converted values are compared after rounding to this many decimals, so 100.4 [degF] is exactly 38.0 Cel."""


class OxygenDelivery(StrEnum):
    """How supplemental oxygen is given (the ASTCT hypoxia column). A nasal cannula's grade depends on its flow."""

    NONE = "none"
    BLOW_BY = "blow-by"
    NASAL_CANNULA = "nasal cannula"
    FACEMASK = "facemask"
    NON_REBREATHER_MASK = "non-rebreather mask"
    VENTURI_MASK = "Venturi mask"
    CPAP = "CPAP"
    BIPAP = "BiPAP"
    MECHANICAL_VENTILATION = "intubation and mechanical ventilation"


class CrsDomain(StrEnum):
    FEVER = "fever"
    HYPOTENSION = "hypotension"
    HYPOXIA = "hypoxia"


_HYPOXIA_GRADE: Final = {
    OxygenDelivery.NONE: 0,
    OxygenDelivery.BLOW_BY: 2,
    OxygenDelivery.FACEMASK: 3,
    OxygenDelivery.NON_REBREATHER_MASK: 3,
    OxygenDelivery.VENTURI_MASK: 3,
    OxygenDelivery.CPAP: 4,
    OxygenDelivery.BIPAP: 4,
    OxygenDelivery.MECHANICAL_VENTILATION: 4,
}

ASTCT_CRS_RULE: Final = GradingRule(
    name="cytokine release syndrome grade",
    version="ASTCT consensus (Lee 2019)",
    statement=(
        "CRS needs temperature >= 38.0 °C not attributable to another cause (not required once antipyretic or "
        "anti-cytokine therapy has started). Grade 1: no hypotension or hypoxia. 2: hypotension not requiring "
        "vasopressors, or low-flow nasal cannula (<= 6 L/min) or blow-by. 3: one vasopressor with or without "
        "vasopressin, or high-flow nasal cannula (> 6 L/min), facemask, non-rebreather or Venturi mask. 4: "
        "multiple vasopressors (excluding vasopressin), or positive pressure (CPAP, BiPAP, mechanical "
        "ventilation). The grade is set by the more severe of hypotension and hypoxia."
    ),
    citations=(sources.LEE_2019,),
    verification=VerificationLevel.SECONDARY,
    notes=(
        "Read in reproductions adapted from Lee 2019: https://pmc.ncbi.nlm.nih.gov/articles/PMC8021214/table/Tab1 "
        "and https://pmc.ncbi.nlm.nih.gov/articles/PMC9327779/table/t0002 (bibliographic details of those "
        "articles not recorded); Lee 2019 itself was not read.",
        "Vasopressin does not count towards 'multiple vasopressors'; vasopressin alone is read as one vasopressor "
        "(grade 3).",
        "Once antipyretic or anti-cytokine therapy has started without hypotension or hypoxia, the grade is read as "
        "1 (CRS already present, fever no longer required).",
        "Organ toxicities (CTCAE) do not change the CRS grade; grade 5 (death from CRS) is not graded.",
    ),
)


class CrsFindings(FrozenModel):
    """The worst findings of one assessment period, as the clinician records them."""

    temperature: Quantity | None = Field(
        default=None, description="Highest temperature, in Cel or [degF]; None if not measured."
    )
    fever_attributable_to_other_cause: bool = Field(
        default=False, description="The fever has another cause (e.g. infection): it then does not count."
    )
    antipyretic_or_anticytokine_therapy: bool = Field(
        default=False,
        description="Antipyretic or anti-cytokine therapy (e.g. tocilizumab, steroids) has been started for CRS: "
        "fever is then no longer required.",
    )
    hypotension: bool = Field(default=False, description="Hypotension (with or without vasopressors).")
    vasopressors: int = Field(
        default=0, ge=0, strict=True, description="Number of vasopressors needed, vasopressin not counted."
    )
    vasopressin: bool = Field(default=False, description="Vasopressin given (does not count as an extra vasopressor).")
    oxygen: OxygenDelivery = OxygenDelivery.NONE
    oxygen_flow: Quantity | None = Field(
        default=None, description="Flow of a nasal cannula (L/min or mL/min); required for, and only for, a cannula."
    )

    @model_validator(mode="after")
    def _consistent(self) -> CrsFindings:
        if self.temperature is not None:
            require_dimension(self.temperature, Dimension.TEMPERATURE, "temperature")
            body = lookup_observation_kind(BODY_TEMPERATURE_LOINC)
            celsius = self.temperature.to("Cel")
            if not body.minimum <= celsius <= body.maximum:
                raise ValueError(
                    f"temperature={self.temperature} ({celsius:.1f} Cel) is not a possible body temperature; "
                    f"expected {body.minimum:g}-{body.maximum:g} Cel"
                )
        if (self.vasopressors > 0 or self.vasopressin) and not self.hypotension:
            raise ValueError(
                f"vasopressors={self.vasopressors}, vasopressin={self.vasopressin} without hypotension; "
                "expected hypotension=True when vasopressors are needed"
            )
        if self.oxygen is OxygenDelivery.NASAL_CANNULA:
            if self.oxygen_flow is None:
                raise ValueError("oxygen_flow: a nasal cannula needs its flow (expected e.g. 4 L/min)")
            require_dimension(self.oxygen_flow, Dimension.VOLUME_RATE, "oxygen_flow")
            if self.oxygen_flow.value < 0:
                raise ValueError(f"oxygen_flow={self.oxygen_flow} is negative; expected a flow >= 0")
        elif self.oxygen_flow is not None:
            raise ValueError(
                f"oxygen_flow={self.oxygen_flow} given with oxygen={self.oxygen.value!r}; "
                "expected a flow only for a nasal cannula"
            )
        return self

    @property
    def temperature_celsius(self) -> float | None:
        return None if self.temperature is None else round(self.temperature.to("Cel"), _DECIMALS)

    @property
    def oxygen_flow_l_per_min(self) -> float | None:
        return None if self.oxygen_flow is None else round(self.oxygen_flow.to("L/min"), _DECIMALS)


class CrsGrade(FrozenModel):
    """CRS grade with the findings it was computed from, the grade each domain gives, and the rule applied."""

    value: int = Field(ge=0, le=4, description="0 (no CRS) or grade 1-4.")
    fever: bool = Field(description="Temperature >= 38.0 °C not attributable to another cause.")
    fever_required: bool = Field(description="False once antipyretic or anti-cytokine therapy has started.")
    temperature_celsius: float | None
    hypotension_grade: int = Field(ge=0, le=4, description="0 (none) or the grade hypotension alone gives (2-4).")
    hypoxia_grade: int = Field(ge=0, le=4, description="0 (none) or the grade oxygen delivery alone gives (2-4).")
    decisive: tuple[CrsDomain, ...] = Field(description="The domains that set the grade (empty without CRS).")
    findings: CrsFindings
    rule: GradingRule
    notes: tuple[str, ...] = ()


def hypotension_grade(findings: CrsFindings) -> int:
    """The grade hypotension alone gives: 0 none, 2 no vasopressor, 3 one (vasopressin aside), 4 several."""
    if not findings.hypotension:
        return 0
    if findings.vasopressors >= 2:
        return 4
    if findings.vasopressors == 1 or findings.vasopressin:
        return 3
    return 2


def hypoxia_grade(findings: CrsFindings) -> int:
    """Grade from oxygen delivery alone: 0 none, 2 low flow or blow-by, 3 high flow/mask, 4 positive pressure."""
    if findings.oxygen is OxygenDelivery.NASAL_CANNULA:
        flow = findings.oxygen_flow_l_per_min
        assert flow is not None  # checked by CrsFindings
        return 2 if flow <= LOW_FLOW_MAX_L_PER_MIN else 3
    return _HYPOXIA_GRADE[findings.oxygen]


def grade_crs(findings: CrsFindings) -> CrsGrade:
    """The ASTCT CRS grade of ``findings`` (0 when there is no CRS: no fever and no CRS therapy started)."""
    celsius = findings.temperature_celsius
    fever = (
        celsius is not None and celsius >= FEVER_THRESHOLD_CELSIUS and not findings.fever_attributable_to_other_cause
    )
    fever_required = not findings.antipyretic_or_anticytokine_therapy
    by_domain = {CrsDomain.HYPOTENSION: hypotension_grade(findings), CrsDomain.HYPOXIA: hypoxia_grade(findings)}
    notes: list[str] = []
    if fever_required and not fever:
        value = 0
        if any(by_domain.values()):
            notes.append("hypotension or hypoxia without fever is not CRS under ASTCT (fever is required)")
        if celsius is not None and celsius >= FEVER_THRESHOLD_CELSIUS:
            notes.append("the fever was attributed to another cause and does not count")
        decisive: tuple[CrsDomain, ...] = ()
    else:
        value = max(1, *by_domain.values())
        decisive = tuple(domain for domain, grade in by_domain.items() if grade == value)
        if value == 1:
            decisive = (CrsDomain.FEVER,) if fever else ()
        if not fever_required:
            notes.append("antipyretic or anti-cytokine therapy started: graded by hypotension and hypoxia")
    return CrsGrade(
        value=value,
        fever=fever,
        fever_required=fever_required,
        temperature_celsius=celsius,
        hypotension_grade=by_domain[CrsDomain.HYPOTENSION],
        hypoxia_grade=by_domain[CrsDomain.HYPOXIA],
        decisive=decisive,
        findings=findings,
        rule=ASTCT_CRS_RULE,
        notes=tuple(notes),
    )
