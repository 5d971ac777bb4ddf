"""HCT-specific comorbidity index (Sorror 2005), from item flags or from clinical facts.

The index sums 17 weighted comorbidities (0-26). Weights and definitions are ``secondary``: Sorror 2005
Table 1 as reproduced by NCI PDQ (definitions) and the EBMT Handbook Table 11.5 (weights), with two
calculators agreeing (clinical-tables-secondary.md section 1a).

Risk groups 0, 1-2 and >= 3 carry the 2-year non-relapse mortality (NRM) and overall survival (OS)
figures published for them:

* Sorror 2005 validation set: NRM 14% for score 0 (pmidcalc and an open-source calculator agree) and
  41% for >= 3 (an open-source calculator, and Raimondi 2012's abstract quoting it as the predicted NRM)
  are ``secondary``. NRM 21% for 1-2 and OS 71% for 0 were seen in one transcription only, and OS
  60%/34% for 1-2/>= 3 in none that was recorded: those stay ``unverified``.
* GITMO (Raimondi 2012) and five-centre (ElSawy 2015) validation figures: ``primary-abstract``.

The Sorror 2005 abstract (publisher page) gives the cohort (1,055 patients, random training/validation
split), 62% vs 12% captured and c statistics 0.661 vs 0.561, but no per-group NRM/OS. The preliminary
ASH 2004 abstract (testing set n=349) is a different analysis and is not substituted.
"""

from __future__ import annotations

from typing import Final

from pydantic import Field, model_validator

from engraft.scores import sources
from engraft.scores.hctci_facts import Finding, HctCiFacts, check_facts, derive
from engraft.scores.hctci_items import (
    DEFINITIONS,
    EXCLUSIVE_PAIRS,
    WEIGHTS,
    HctCiItem,
    HctCiVariant,
    total,
)
from engraft.scores.provenance import Citation, Component, FrozenModel, PublishedOutcome, ScoreResult, VerificationLevel
from engraft.vocabulary.phrases import Phrase

INSTRUMENT: Final = "hct-ci"
REPORTED_FLAG: Final = "reported item flag"
WEIGHTED_RULE: Final = Phrase("{definition} [weight {weight}]: {finding}")
SUPERSEDED: Final = Phrase("{rule}; superseded by {item} (mutually exclusive, higher scores)")
"""A component's rule: the item's definition, its weight and the finding (English; the pages translate it)."""


class HctCiItemFlags(FrozenModel):
    """The 17 items answered directly (true = comorbidity present per the variant's definition)."""

    arrhythmia: bool = Field(strict=True)
    cardiac: bool = Field(strict=True)
    inflammatory_bowel_disease: bool = Field(strict=True)
    diabetes: bool = Field(strict=True)
    cerebrovascular: bool = Field(strict=True)
    psychiatric: bool = Field(strict=True)
    hepatic_mild: bool = Field(strict=True)
    obesity: bool = Field(strict=True)
    infection: bool = Field(strict=True)
    rheumatologic: bool = Field(strict=True)
    peptic_ulcer: bool = Field(strict=True)
    renal: bool = Field(strict=True)
    pulmonary_moderate: bool = Field(strict=True)
    prior_solid_tumour: bool = Field(strict=True)
    heart_valve_disease: bool = Field(strict=True)
    pulmonary_severe: bool = Field(strict=True)
    hepatic_moderate_severe: bool = Field(strict=True)

    def present(self) -> set[HctCiItem]:
        return {item for item in HctCiItem if getattr(self, item.value)}


class HctCiInput(FrozenModel):
    """HCT-CI input: exactly one of ``items`` (flags) or ``facts`` (clinical facts)."""

    variant: HctCiVariant = HctCiVariant.SORROR_2005
    age_years: int | None = Field(default=None, ge=0, le=120, description="Completed years at HCT.", strict=True)
    items: HctCiItemFlags | None = None
    facts: HctCiFacts | None = None

    @model_validator(mode="after")
    def _one_source(self) -> HctCiInput:
        if (self.items is None) == (self.facts is None):
            raise ValueError("give exactly one of 'items' (17 flags) or 'facts' (clinical facts)")
        if self.facts is not None:
            if self.age_years is None:
                raise ValueError("age_years is required with 'facts' (paediatric cardiac and BMI rules)")
            check_facts(self.facts, self.variant, self.age_years)
        return self


class HctCiResult(ScoreResult):
    value: int
    risk_group: str


def _outcome(band: str, endpoint: str, value: float, **kw: object) -> PublishedOutcome:
    return PublishedOutcome.model_validate({"band": band, "endpoint": endpoint, "value": value, **kw})


_SORROR_VALIDATION = {
    "time_point": "2 years",
    "cohort": "Sorror 2005 validation set (FHCRC allogeneic HCT 1997-2003)",
    "n": 347,
    "source": sources.SORROR_2005,
}
_SORROR_UNVERIFIED = {
    **_SORROR_VALIDATION,
    "verification": VerificationLevel.UNVERIFIED,
    "note": "seen in one transcription at most (calculator pages); not in the Sorror 2005 abstract and the "
    "paper's table was not seen",
}
_RAIMONDI = {
    "time_point": "2 years",
    "cohort": "GITMO prospective validation, Italy",
    "n": 1937,
    "verification": VerificationLevel.PRIMARY_ABSTRACT,
    "source": sources.RAIMONDI_2012,
}
_ELSAWY = {
    "time_point": "2 years",
    "cohort": "Five US centres, allogeneic HCT",
    "n": 2523,
    "verification": VerificationLevel.PRIMARY_ABSTRACT,
    "source": sources.ELSAWY_2015,
}

SORROR_NRM_SECONDARY: Final[dict[str, tuple[float, tuple[Citation, ...], str]]] = {
    "0": (
        14,
        (sources.PMIDCALC_HCTCI,),
        "two transcriptions agree: pmidcalc.org and an open-source Python HCT-CI module (repository not identified)",
    ),
    ">=3": (
        41,
        (sources.RAIMONDI_2012,),
        "two transcriptions agree: Raimondi 2012's abstract quotes 41% as the predicted NRM for HCT-CI >= 3 "
        "(observed there: 27.3%), and an open-source Python HCT-CI module (repository not identified)",
    ),
}
"""Sorror 2005 validation-set 2-year NRM that two transcriptions agree on: (value, reproduced in, how)."""


def _sorror_nrm(band: str, value_if_unverified: float) -> PublishedOutcome:
    if band in SORROR_NRM_SECONDARY:
        value, reproduced_in, note = SORROR_NRM_SECONDARY[band]
        return _outcome(
            band,
            "non-relapse mortality",
            value,
            verification=VerificationLevel.SECONDARY,
            reproduced_in=reproduced_in,
            note=note,
            **_SORROR_VALIDATION,
        )
    return _outcome(band, "non-relapse mortality", value_if_unverified, **_SORROR_UNVERIFIED)


OUTCOMES: Final[dict[str, tuple[PublishedOutcome, ...]]] = {
    band: (
        _sorror_nrm(band, s_nrm),
        _outcome(band, "overall survival", s_os, **_SORROR_UNVERIFIED),
        _outcome(band, "non-relapse mortality", r_nrm, **_RAIMONDI),
        _outcome(band, "overall survival", r_os, **_RAIMONDI),
        _outcome(band, "non-relapse mortality", e_nrm, **_ELSAWY),
        _outcome(band, "overall survival", e_os, **_ELSAWY),
    )
    for band, s_nrm, s_os, r_nrm, r_os, e_nrm, e_os in (
        ("0", 14, 71, 14.7, 56.4, 14, 74),
        ("1-2", 21, 60, 21.3, 54.5, 23, 61),
        (">=3", 41, 34, 27.3, 41.3, 39, 39),
    )
}

WEIGHT_SOURCES: Final = (sources.NCI_PDQ_HCTCI, sources.HB11_TABLE_11_5)
"""Where the Sorror 2005 definitions (NCI PDQ Table 4) and weights (Handbook Table 11.5) were read."""

RISK_GROUPS: Final[dict[str, str]] = {"0": "low", "1-2": "intermediate", ">=3": "high"}


def band_for(score: int) -> str:
    """HCT-CI band: ``"0"``, ``"1-2"`` or ``">=3"``."""
    if score < 0:
        raise ValueError(f"HCT-CI score {score} is negative; expected 0-26")
    return "0" if score == 0 else "1-2" if score <= 2 else ">=3"


def item_findings(data: HctCiInput) -> dict[HctCiItem, Finding]:
    """Each item's presence with the input and rule that decided it."""
    if data.items is not None:
        present = data.items.present()
        return {
            item: Finding(item in present, f"items.{item.value}={str(item in present).lower()}", REPORTED_FLAG)
            for item in HctCiItem
        }
    if data.facts is None or data.age_years is None:
        raise ValueError("HctCiInput needs 'items', or 'facts' with 'age_years'")
    return derive(data.facts, data.variant, data.age_years)


def components_for(findings: dict[HctCiItem, Finding], variant: HctCiVariant) -> tuple[Component, ...]:
    """One component per item; the lower item of an exclusive pair scores 0 when the higher is present."""
    superseded = {
        lower: higher for lower, higher in EXCLUSIVE_PAIRS if findings[lower].present and findings[higher].present
    }
    components = []
    for item in HctCiItem:
        finding = findings[item]
        points = WEIGHTS[item] if finding.present and item not in superseded else 0
        rule = WEIGHTED_RULE(definition=DEFINITIONS[variant][item], weight=WEIGHTS[item], finding=finding.rule)
        if item in superseded:
            rule = SUPERSEDED(rule=rule, item=superseded[item].value)
        components.append(
            Component(
                item=item.value,
                input=finding.input,
                points=points,
                rule=rule,
                verification=finding.verification,
                reproduced_in=WEIGHT_SOURCES if finding.verification is VerificationLevel.SECONDARY else (),
            )
        )
    return tuple(components)


def hct_ci(data: HctCiInput) -> HctCiResult:
    """Compute the HCT-CI with its risk group and published outcomes for that group."""
    findings = item_findings(data)
    score = total({item for item, finding in findings.items() if finding.present})
    band = band_for(score)
    citation = sources.SORROR_2005 if data.variant is HctCiVariant.SORROR_2005 else sources.CIBMTR_FIM_APPENDIX_J
    return HctCiResult(
        instrument=INSTRUMENT,
        version=data.variant.value,
        value=score,
        band=band,
        risk_group=RISK_GROUPS[band],
        components=components_for(findings, data.variant),
        outcomes=OUTCOMES[band],
        citation=citation,
        notes=("Weights from Sorror 2005 Table 1; risk groups 0, 1-2, >=3.",),
    )
