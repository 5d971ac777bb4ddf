"""Graft product quality: CD34+ and TNC dose per kg and CD34+ viability against source thresholds.

Thresholds, each with its source and verification status:

* Single cord blood unit: TNC >= 3.0 x 10^7/kg and CD34+ >= 1.5 x 10^5/kg (NMDP/CIBMTR guidelines,
  Dehn 2019; verified in donor-search.md section 3.4).
* Double cord blood, per unit: CD34+ >= 1.0 x 10^5/kg (same source, verified).
* Cord blood post-thaw: CD34+ viability > 70% (NetCord-FACT post-thaw criteria as stated by FACT).
* Autologous peripheral blood stem cells: CD34+ >= 2.0 x 10^6/kg per cycle of high-dose therapy, the
  minimum "traditionally used" according to the IMWG consensus (Giralt 2009, Leukemia; read in the
  publisher's abstract). The consensus speaks of myeloma; it is applied here to every autologous
  peripheral blood graft, as centres commonly do, and the rule text says so.

Allogeneic peripheral blood and bone marrow, autologous bone marrow and autologous cord blood have no
threshold encoded here. The category comes from the vocabulary's graft source and transplant type
(:func:`graft_category`); two allogeneic cord blood units are judged per unit.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

from pydantic import Field, field_validator, model_validator

from engraft.measurements import Dimension, Quantity, require_dimension
from engraft.scores import _compare as cmp
from engraft.scores import sources
from engraft.scores.provenance import (
    Citation,
    Component,
    FrozenModel,
    ScoreResult,
    VerificationLevel,
    legacy_verification,
)
from engraft.vocabulary import GraftSource, TransplantType
from engraft.vocabulary.phrases import Phrase

INSTRUMENT: Final = "graft-quality"
THRESHOLD_RULE: Final = Phrase("{op} {minimum} {unit} ({source}): {verdict}")
THRESHOLD_RULE_SCOPED: Final = Phrase("{op} {minimum} {unit} {scope} ({source}): {verdict}")
"""A component's rule: the threshold, its source and whether it was met (English; the pages translate it)."""


class GraftCategory(StrEnum):
    """The product categories the thresholds are published for, derived from the vocabulary's terms."""

    CORD_BLOOD_SINGLE = "single cord blood unit"
    CORD_BLOOD_DOUBLE_UNIT = "double cord blood, per unit"
    CORD_BLOOD_AUTOLOGOUS = "autologous cord blood"
    PBSC_AUTOLOGOUS = "autologous peripheral blood stem cells"
    PBSC_ALLOGENEIC = "allogeneic peripheral blood stem cells"
    BONE_MARROW_AUTOLOGOUS = "autologous bone marrow"
    BONE_MARROW_ALLOGENEIC = "allogeneic bone marrow"


_CATEGORY: Final[dict[tuple[GraftSource, TransplantType], GraftCategory]] = {
    (GraftSource.BONE_MARROW, TransplantType.ALLOGENEIC): GraftCategory.BONE_MARROW_ALLOGENEIC,
    (GraftSource.BONE_MARROW, TransplantType.AUTOLOGOUS): GraftCategory.BONE_MARROW_AUTOLOGOUS,
    (GraftSource.PERIPHERAL_BLOOD, TransplantType.ALLOGENEIC): GraftCategory.PBSC_ALLOGENEIC,
    (GraftSource.PERIPHERAL_BLOOD, TransplantType.AUTOLOGOUS): GraftCategory.PBSC_AUTOLOGOUS,
    (GraftSource.CORD_BLOOD, TransplantType.ALLOGENEIC): GraftCategory.CORD_BLOOD_SINGLE,
    (GraftSource.CORD_BLOOD, TransplantType.AUTOLOGOUS): GraftCategory.CORD_BLOOD_AUTOLOGOUS,
}
"""Every (graft source, transplant type) pair of the vocabulary; two cord units make the double-unit category."""


def graft_category(source: GraftSource, transplant_type: TransplantType, cord_blood_units: int = 1) -> GraftCategory:
    """The threshold category of a graft: two allogeneic cord blood units are judged per unit."""
    category = _CATEGORY[(source, transplant_type)]
    if category is GraftCategory.CORD_BLOOD_SINGLE and cord_blood_units == 2:
        return GraftCategory.CORD_BLOOD_DOUBLE_UNIT
    return category


class Measure(StrEnum):
    CD34_PER_KG = "cd34_per_kg"
    TNC_PER_KG = "tnc_per_kg"
    CD34_VIABILITY = "cd34_viability_percent"


class Threshold(FrozenModel):
    category: GraftCategory
    measure: Measure
    minimum: float
    unit: str
    inclusive: bool
    citation: Citation
    verification: VerificationLevel
    reproduced_in: tuple[Citation, ...] = ()
    scope: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        return legacy_verification(data)

    @property
    def verified(self) -> bool:
        """Whether the threshold was read in its primary source (full text or abstract)."""
        return self.verification.checked_in_primary


THRESHOLDS: Final[tuple[Threshold, ...]] = (
    Threshold(
        category=GraftCategory.CORD_BLOOD_SINGLE,
        measure=Measure.TNC_PER_KG,
        minimum=3.0e7,
        unit="/kg",
        inclusive=True,
        citation=sources.DEHN_2019,
        verification=VerificationLevel.SECONDARY,
        reproduced_in=(sources.NMDP_SELECTION_GUIDELINES,),
    ),
    Threshold(
        category=GraftCategory.CORD_BLOOD_SINGLE,
        measure=Measure.CD34_PER_KG,
        minimum=1.5e5,
        unit="/kg",
        inclusive=True,
        citation=sources.DEHN_2019,
        verification=VerificationLevel.SECONDARY,
        reproduced_in=(sources.NMDP_SELECTION_GUIDELINES,),
    ),
    Threshold(
        category=GraftCategory.CORD_BLOOD_DOUBLE_UNIT,
        measure=Measure.CD34_PER_KG,
        minimum=1.0e5,
        unit="/kg",
        inclusive=True,
        citation=sources.DEHN_2019,
        verification=VerificationLevel.SECONDARY,
        reproduced_in=(sources.NMDP_SELECTION_GUIDELINES,),
    ),
    *(
        Threshold(
            category=cord,
            measure=Measure.CD34_VIABILITY,
            minimum=70.0,
            unit="%",
            inclusive=False,
            citation=sources.NETCORD_FACT_POST_THAW,
            verification=VerificationLevel.PRIMARY,
        )
        for cord in (GraftCategory.CORD_BLOOD_SINGLE, GraftCategory.CORD_BLOOD_DOUBLE_UNIT)
    ),
    Threshold(
        category=GraftCategory.PBSC_AUTOLOGOUS,
        measure=Measure.CD34_PER_KG,
        minimum=2.0e6,
        unit="/kg",
        inclusive=True,
        citation=sources.AUTO_PBSC_CD34_MINIMUM,
        verification=VerificationLevel.PRIMARY_ABSTRACT,
        scope=(
            "per cycle of high-dose therapy; stated by the IMWG for myeloma, "
            "applied to every autologous peripheral blood graft"
        ),
    ),
)


class GraftQualityInput(FrozenModel):
    """Cell doses either per kg (``10*5/kg`` .. ``10*8/kg``) or as totals (``10*6`` .. ``10*9``)."""

    graft_source: GraftSource
    transplant_type: TransplantType
    cord_blood_units: int = Field(default=1, ge=1, le=2, strict=True, description="units infused (cord blood only)")
    recipient_weight: Quantity
    cd34: Quantity | None = None
    tnc: Quantity | None = None
    cd34_viability_percent: float | None = Field(default=None, ge=0, le=100, strict=True)

    @field_validator("recipient_weight")
    @classmethod
    def _weight(cls, w: Quantity) -> Quantity:
        require_dimension(w, Dimension.MASS, "recipient_weight")
        if not 0.5 <= w.to("kg") <= 350:
            raise ValueError(f"recipient_weight {w} is not a possible body weight; expected 0.5-350 kg")
        return w

    @field_validator("cd34", "tnc")
    @classmethod
    def _cells(cls, q: Quantity | None) -> Quantity | None:
        if q is None:
            return q
        require_dimension(q, (Dimension.CELLS_PER_BODY_MASS, Dimension.CELL_COUNT), "cell dose")
        if q.value < 0:
            raise ValueError(f"cell dose {q} is negative; expected >= 0")
        return q

    @model_validator(mode="after")
    def _required_measures(self) -> GraftQualityInput:
        if self.cord_blood_units != 1 and self.graft_source is not GraftSource.CORD_BLOOD:
            raise ValueError(
                f"cord_blood_units={self.cord_blood_units} applies to cord blood only; "
                f"graft_source is {self.graft_source.value!r}"
            )
        for threshold in thresholds_for(self.category):
            name = {Measure.CD34_PER_KG: "cd34", Measure.TNC_PER_KG: "tnc"}.get(threshold.measure)
            if name is not None and getattr(self, name) is None:
                raise ValueError(
                    f"{name} is required for a graft of {self.category.value} (threshold {threshold.minimum:g})"
                )
        return self

    @property
    def category(self) -> GraftCategory:
        return graft_category(self.graft_source, self.transplant_type, self.cord_blood_units)

    def per_kg(self, q: Quantity) -> float:
        """Cells per kg of recipient weight."""
        if q.dimension is Dimension.CELLS_PER_BODY_MASS:
            return q.to("10*6/kg") * 1e6
        return q.to("10*6") * 1e6 / self.recipient_weight.to("kg")


class ThresholdCheck(FrozenModel):
    measure: Measure
    value: float
    threshold: Threshold
    passed: bool


class GraftQualityResult(ScoreResult):
    value: str
    category: GraftCategory
    checks: tuple[ThresholdCheck, ...]


def thresholds_for(category: GraftCategory) -> tuple[Threshold, ...]:
    return tuple(t for t in THRESHOLDS if t.category is category)


def graft_quality(data: GraftQualityInput) -> GraftQualityResult:
    """Compare the graft's doses and viability with the thresholds for its source."""
    values: dict[Measure, float] = {}
    if data.cd34 is not None:
        values[Measure.CD34_PER_KG] = data.per_kg(data.cd34)
    if data.tnc is not None:
        values[Measure.TNC_PER_KG] = data.per_kg(data.tnc)
    if data.cd34_viability_percent is not None:
        values[Measure.CD34_VIABILITY] = data.cd34_viability_percent
    checks: list[ThresholdCheck] = []
    components: list[Component] = []
    for t in thresholds_for(data.category):
        if t.measure not in values:
            continue
        value = values[t.measure]
        passed = cmp.ge(value, t.minimum) if t.inclusive else cmp.gt(value, t.minimum)
        checks.append(ThresholdCheck(measure=t.measure, value=value, threshold=t, passed=passed))
        op = ">=" if t.inclusive else ">"
        components.append(
            Component(
                item=t.measure.value,
                input=f"{value:.4g} {t.unit}",
                points=0,
                rule=(THRESHOLD_RULE_SCOPED if t.scope else THRESHOLD_RULE)(
                    op=op,
                    minimum=f"{t.minimum:.3g}",
                    unit=t.unit,
                    **({"scope": t.scope} if t.scope else {}),
                    source=t.citation.short(),
                    verdict="met" if passed else "NOT met",
                ),
                verification=t.verification,
                reproduced_in=t.reproduced_in,
                source=t.citation,
            )
        )
    if not checks:
        band = "no threshold encoded for this graft"
    elif all(c.passed for c in checks):
        band = "meets thresholds"
    else:
        band = "below threshold"
    return GraftQualityResult(
        instrument=INSTRUMENT,
        version="nmdp-cibmtr-2019",
        value=band,
        band=band,
        category=data.category,
        checks=tuple(checks),
        components=tuple(components),
        citation=sources.DEHN_2019,
    )
