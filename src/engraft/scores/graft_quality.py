"""Graft product quality: CD34+ and TNC dose per kg and CD34+ viability against source thresholds.

Thresholds, each with its source and verification status:

* Single cord blood unit: TNC >= 3.0 x 10^7/kg and CD34+ >= 1.5 x 10^5/kg (NMDP/CIBMTR guidelines,
  Dehn 2019; verified in donor-search.md section 3.4).
* Double cord blood, per unit: CD34+ >= 1.0 x 10^5/kg (same source, verified).
* Cord blood post-thaw: CD34+ viability > 70% (NetCord-FACT post-thaw criteria as stated by FACT).
* Autologous peripheral blood stem cells: CD34+ >= 2.0 x 10^6/kg per cycle of high-dose therapy, the
  minimum "traditionally used" according to the IMWG consensus (Giralt 2009, Leukemia; read in the
  publisher's abstract). The consensus speaks of myeloma; it is applied here to every autologous
  graft, as centres commonly do, and the rule text says so.

Allogeneic peripheral blood and bone marrow grafts have no threshold encoded here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field, field_validator, model_validator

from engraft.scores import _compare as cmp
from engraft.scores import sources
from engraft.scores.provenance import Citation, Component, FrozenModel, ScoreResult
from engraft.scores.units import Quantity, dimension, require_dimension

INSTRUMENT: Final = "graft-quality"


class GraftSource(StrEnum):
    CORD_BLOOD_SINGLE = "cord_blood_single"
    CORD_BLOOD_DOUBLE_UNIT = "cord_blood_double_unit"
    PBSC_AUTOLOGOUS = "pbsc_autologous"
    PBSC_ALLOGENEIC = "pbsc_allogeneic"
    BONE_MARROW = "bone_marrow"


class Measure(StrEnum):
    CD34_PER_KG = "cd34_per_kg"
    TNC_PER_KG = "tnc_per_kg"
    CD34_VIABILITY = "cd34_viability_percent"


class Threshold(FrozenModel):
    source: GraftSource
    measure: Measure
    minimum: float
    unit: str
    inclusive: bool
    citation: Citation
    verified: bool
    scope: str | None = None


THRESHOLDS: Final[tuple[Threshold, ...]] = (
    Threshold(
        source=GraftSource.CORD_BLOOD_SINGLE,
        measure=Measure.TNC_PER_KG,
        minimum=3.0e7,
        unit="/kg",
        inclusive=True,
        citation=sources.DEHN_2019,
        verified=True,
    ),
    Threshold(
        source=GraftSource.CORD_BLOOD_SINGLE,
        measure=Measure.CD34_PER_KG,
        minimum=1.5e5,
        unit="/kg",
        inclusive=True,
        citation=sources.DEHN_2019,
        verified=True,
    ),
    Threshold(
        source=GraftSource.CORD_BLOOD_DOUBLE_UNIT,
        measure=Measure.CD34_PER_KG,
        minimum=1.0e5,
        unit="/kg",
        inclusive=True,
        citation=sources.DEHN_2019,
        verified=True,
    ),
    *(
        Threshold(
            source=cord,
            measure=Measure.CD34_VIABILITY,
            minimum=70.0,
            unit="%",
            inclusive=False,
            citation=sources.NETCORD_FACT_POST_THAW,
            verified=True,
        )
        for cord in (GraftSource.CORD_BLOOD_SINGLE, GraftSource.CORD_BLOOD_DOUBLE_UNIT)
    ),
    Threshold(
        source=GraftSource.PBSC_AUTOLOGOUS,
        measure=Measure.CD34_PER_KG,
        minimum=2.0e6,
        unit="/kg",
        inclusive=True,
        citation=sources.AUTO_PBSC_CD34_MINIMUM,
        verified=True,
        scope="per cycle of high-dose therapy; stated by the IMWG for myeloma, applied to every autologous graft",
    ),
)


class GraftQualityInput(FrozenModel):
    """Cell doses either per kg (``10*5/kg`` .. ``10*8/kg``) or as totals (``10*6`` .. ``10*9``)."""

    source: GraftSource
    recipient_weight: Quantity
    cd34: Quantity | None = None
    tnc: Quantity | None = None
    cd34_viability_percent: float | None = Field(default=None, ge=0, le=100)

    @field_validator("recipient_weight")
    @classmethod
    def _weight(cls, w: Quantity) -> Quantity:
        require_dimension(w, "mass", "recipient_weight")
        if not 0.5 <= w.to("kg") <= 350:
            raise ValueError(f"recipient_weight {w} is not a possible body weight; expected 0.5-350 kg")
        return w

    @field_validator("cd34", "tnc")
    @classmethod
    def _cells(cls, q: Quantity | None) -> Quantity | None:
        if q is None:
            return q
        require_dimension(q, ("cells_per_body_mass", "cell_count"), "cell dose")
        if q.value < 0:
            raise ValueError(f"cell dose {q} is negative; expected >= 0")
        return q

    @model_validator(mode="after")
    def _required_measures(self) -> GraftQualityInput:
        for threshold in thresholds_for(self.source):
            name = {Measure.CD34_PER_KG: "cd34", Measure.TNC_PER_KG: "tnc"}.get(threshold.measure)
            if name is not None and getattr(self, name) is None:
                raise ValueError(
                    f"{name} is required for source {self.source.value!r} (threshold {threshold.minimum:g})"
                )
        return self

    def per_kg(self, q: Quantity) -> float:
        """Cells per kg of recipient weight."""
        if dimension(q.unit) == "cells_per_body_mass":
            return q.to("10*6/kg") * 1e6
        return q.to("10*6") * 1e6 / self.recipient_weight.to("kg")


class ThresholdCheck(FrozenModel):
    measure: Measure
    value: float
    threshold: Threshold
    passed: bool


class GraftQualityResult(ScoreResult):
    value: str
    checks: tuple[ThresholdCheck, ...]


def thresholds_for(source: GraftSource) -> tuple[Threshold, ...]:
    return tuple(t for t in THRESHOLDS if t.source is source)


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
    for t in thresholds_for(data.source):
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
                rule=(
                    f"{op} {t.minimum:.3g} {t.unit}{f' {t.scope}' if t.scope else ''} ({t.citation.short()}): "
                    f"{'met' if passed else 'NOT met'}"
                ),
                verified=t.verified,
            )
        )
    if not checks:
        band = "no threshold encoded for this source"
    elif all(c.passed for c in checks):
        band = "meets thresholds"
    else:
        band = "below threshold"
    return GraftQualityResult(
        instrument=INSTRUMENT,
        version="nmdp-cibmtr-2019",
        value=band,
        band=band,
        checks=tuple(checks),
        components=tuple(components),
        citation=sources.DEHN_2019,
    )
