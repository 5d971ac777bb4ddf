"""HCT-CI/age composite (Sorror 2014): HCT-CI plus 1 point for age >= 40 years.

Groups 0-2, 3-4 and >= 5 are the ones named in the JCO 2014 abstract (verified); the finer split
of 0 versus 1-2 and the per-group NRM/OS percentages were not verified, so no per-group outcome
figure is attached. The result carries the verified validation-set c-statistics instead.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import Field, model_validator

from engraft.scores import sources
from engraft.scores.hctci import WEIGHT_SOURCES, HctCiInput, components_for, item_findings
from engraft.scores.hctci_items import MAX_SCORE, total
from engraft.scores.provenance import Component, FrozenModel, PublishedOutcome, ScoreResult, VerificationLevel
from engraft.vocabulary.phrases import Phrase

INSTRUMENT: Final = "hct-ci-age"
AGE_THRESHOLD_YEARS: Final = 40
AGE_RULE: Final = Phrase("+1 if age >= {limit} years (Sorror 2014)")
C_STATISTIC: Final = Phrase("{endpoint} (c-statistic)")
VERSUS_AGE_ALONE: Final = Phrase("versus {value} for age alone")


class HctCiAgeInput(FrozenModel):
    """Age plus either a full HCT-CI input or an already computed HCT-CI score."""

    age_years: int = Field(ge=0, le=120, strict=True, description="Completed years at HCT.")
    hct_ci: HctCiInput | None = None
    hct_ci_score: int | None = Field(default=None, ge=0, le=MAX_SCORE, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _share_age(cls, data: Any) -> Any:
        """Pass ``age_years`` down to a nested HCT-CI input that does not state its own."""
        if isinstance(data, dict) and isinstance(data.get("hct_ci"), dict) and "age_years" in data:
            nested = data["hct_ci"]
            if nested.get("age_years") is None:
                data = {**data, "hct_ci": {**nested, "age_years": data["age_years"]}}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> HctCiAgeInput:
        if (self.hct_ci is None) == (self.hct_ci_score is None):
            raise ValueError("give exactly one of 'hct_ci' (full input) or 'hct_ci_score' (0-26)")
        if self.hct_ci is not None and self.hct_ci.age_years not in (None, self.age_years):
            raise ValueError(
                f"hct_ci.age_years={self.hct_ci.age_years} differs from age_years={self.age_years}; "
                "expected the same age"
            )
        return self


class HctCiAgeResult(ScoreResult):
    value: int
    hct_ci: int


def _c_statistic(endpoint: str, value: float, age_alone: float) -> PublishedOutcome:
    return PublishedOutcome(
        band="all",
        endpoint=C_STATISTIC(endpoint=endpoint),
        time_point="validation set",
        value=value,
        unit="c-statistic",
        cohort="HLA-matched HCT recipients from 5 institutions (training + validation)",
        n=3033,
        verification=VerificationLevel.PRIMARY_ABSTRACT,
        source=sources.SORROR_2014,
        note=VERSUS_AGE_ALONE(value=age_alone),
    )


OUTCOMES: Final = (
    _c_statistic("non-relapse mortality", 0.664, 0.556),
    _c_statistic("overall survival", 0.682, 0.560),
)


def band_for(score: int) -> str:
    """HCT-CI/age band as named in the Sorror 2014 abstract: ``"0-2"``, ``"3-4"`` or ``">=5"``."""
    if score < 0:
        raise ValueError(f"HCT-CI/age score {score} is negative; expected 0-27")
    return "0-2" if score <= 2 else "3-4" if score <= 4 else ">=5"


def hct_ci_age(data: HctCiAgeInput) -> HctCiAgeResult:
    """Compute the HCT-CI/age composite score."""
    if data.hct_ci is not None:
        hct_input = data.hct_ci
        if hct_input.age_years is None:
            hct_input = HctCiInput.model_validate({**hct_input.model_dump(), "age_years": data.age_years})
        findings = item_findings(hct_input)
        base = total({item for item, f in findings.items() if f.present})
        components = components_for(findings, hct_input.variant)
    else:
        base = data.hct_ci_score if data.hct_ci_score is not None else 0
        components = (
            Component(
                item="hct_ci",
                input=f"hct_ci_score={base}",
                points=base,
                rule="given HCT-CI",
                verification=VerificationLevel.SECONDARY,
                reproduced_in=WEIGHT_SOURCES,
                source=sources.SORROR_2005,
            ),
        )
    age_points = 1 if data.age_years >= AGE_THRESHOLD_YEARS else 0
    age_component = Component(
        item="age",
        input=f"age_years={data.age_years}",
        points=age_points,
        rule=AGE_RULE(limit=AGE_THRESHOLD_YEARS),
        verification=VerificationLevel.PRIMARY_ABSTRACT,
    )
    score = base + age_points
    return HctCiAgeResult(
        instrument=INSTRUMENT,
        version="sorror-2014",
        value=score,
        hct_ci=base,
        band=band_for(score),
        components=(*components, age_component),
        outcomes=OUTCOMES,
        citation=sources.SORROR_2014,
        notes=("Per-group 2-year NRM/OS of Sorror 2014 not verified; not shown.",),
    )
