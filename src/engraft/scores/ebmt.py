"""EBMT (Gratwohl) risk score, 2009 generalised version, for allogeneic HSCT.

Five factors, 0-7 points: age (<20 / 20-40 / >40 years), disease stage (early / intermediate /
late), time from diagnosis to HSCT (< 12 / >= 12 months; not scored in first complete remission),
donor (HLA-identical sibling / unrelated), donor-recipient sex (female donor to male recipient = 1).

Verification (see docs/clinical-evidence.md):

* The five factors and the 0-7 range: ``primary-abstract`` (Cancer 2009 and Gratwohl 2012 abstracts).
* Points per factor level, the stage definitions, "not scored in CR1" and "stage not applicable in
  severe aplastic anaemia": ``secondary``, read in the EBMT Handbook 8th ed. (2024) ch. 11, Table 11.2
  and its footnotes a and b; an open-source implementation agrees on the points.
* The 12-month boundary: the Handbook scores < 12 months 0 and >= 12 months 1; one open-source
  implementation scores <= 12 months 0. They differ only at exactly 12 months; the Handbook's reading
  is used (the EBMT's own text).
* CML in accelerated phase: the Handbook's footnote is self-contradictory (intermediate is CML "with
  another status than accelerated phase or blastic phase", late only "CML in blastic crisis"), so
  accelerated phase has no stage in it; it is scored intermediate and that component is ``unverified``.
* Severe aplastic anaemia: the stage item does not apply, so its status must be 'not applicable'
  (a CR1 status would also have cancelled the interval item).

Outcomes: 5-year OS and TRM for score 0 and scores 6-7 (whole cohort and most recent time cohort) are
``primary-abstract`` (PubMed 19642176). The per-disease 5-year TRM and OS for every score (AML, ALL,
CML, AA, MDS, MM, NHL) are ``secondary``: Gratwohl 2009 as extracted in the Handbook's Tables 11.3 and
11.4 (blank cells there have no figure here). The external validation (PMID 24655161) groups and,
for CML, the original 1998 score's figures are ``primary-abstract``. Haploidentical, cord-blood and
autologous grafts have no published category and are refused.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field, field_validator, model_validator

from engraft.scores import sources
from engraft.scores.provenance import Component, FrozenModel, PublishedOutcome, ScoreResult, VerificationLevel
from engraft.vocabulary import DiseaseStatus, DonorRelation, Sex
from engraft.vocabulary.phrases import Phrase

INSTRUMENT: Final = "ebmt-risk"


class EbmtDisease(StrEnum):
    AML = "aml"
    ALL = "all"
    CML = "cml"
    MDS = "mds"
    NHL = "nhl"
    MULTIPLE_MYELOMA = "multiple_myeloma"
    SEVERE_APLASTIC_ANAEMIA = "severe_aplastic_anaemia"


class EbmtDonorCategory(StrEnum):
    """The score's donor categories: HLA-identical sibling (0 points) or unrelated donor (1 point)."""

    HLA_IDENTICAL_SIBLING = "HLA-identical sibling"
    UNRELATED = "unrelated"


DONOR_CATEGORY: Final[dict[DonorRelation, EbmtDonorCategory | None]] = {
    DonorRelation.MATCHED_SIBLING: EbmtDonorCategory.HLA_IDENTICAL_SIBLING,
    DonorRelation.MATCHED_UNRELATED: EbmtDonorCategory.UNRELATED,
    DonorRelation.MISMATCHED_UNRELATED: EbmtDonorCategory.UNRELATED,
    DonorRelation.HAPLOIDENTICAL: None,
    DonorRelation.OTHER_RELATED: None,
    DonorRelation.CORD_BLOOD_UNIT: None,
    DonorRelation.AUTOLOGOUS: None,
}
"""Every donor relation of the vocabulary: its score category, or None where the score has none."""

#: ICD-10 code prefixes of the score's diseases (WHO/ICD-10 2019 codes).
ICD10_DISEASES: Final[tuple[tuple[tuple[str, ...], EbmtDisease], ...]] = (
    (("C92.0", "C92.3", "C92.4", "C92.5", "C92.6", "C92.8", "C93.0", "C94.0", "C94.2"), EbmtDisease.AML),
    (("C91.0",), EbmtDisease.ALL),
    (("C92.1",), EbmtDisease.CML),
    (("D46",), EbmtDisease.MDS),
    (("C90.0",), EbmtDisease.MULTIPLE_MYELOMA),
    (("D61",), EbmtDisease.SEVERE_APLASTIC_ANAEMIA),
    (("C82", "C83", "C84", "C85", "C86", "C88"), EbmtDisease.NHL),
)


def disease_for_icd10(icd10: str) -> EbmtDisease | None:
    """The score's disease for an ICD-10 code, or None when the code is none of its diseases."""
    for prefixes, disease in ICD10_DISEASES:
        if any(icd10.startswith(p) for p in prefixes):
            return disease
    return None


_ACUTE = {EbmtDisease.AML, EbmtDisease.ALL}
_LYMPHOID = {EbmtDisease.NHL, EbmtDisease.MULTIPLE_MYELOMA}
_CML_STATUSES = {
    DiseaseStatus.CHRONIC_PHASE,
    DiseaseStatus.CHRONIC_PHASE_1,
    DiseaseStatus.CHRONIC_PHASE_2_OR_LATER,
    DiseaseStatus.ACCELERATED_PHASE,
    DiseaseStatus.BLAST_PHASE,
}
_STAGE_POINTS: Final = {"early": 0, "intermediate": 1, "late": 2}


def disease_stage(disease: EbmtDisease, status: DiseaseStatus) -> str:
    """Map disease and status to the 2009 stage: ``early``, ``intermediate``, ``late`` or ``not scored``.

    Stage definitions: EBMT Handbook Table 11.2 footnote a (secondary). Severe aplastic anaemia is not
    staged, so its only status is 'not applicable'.
    """
    if disease is EbmtDisease.SEVERE_APLASTIC_ANAEMIA:
        if status is not DiseaseStatus.NOT_APPLICABLE:
            raise ValueError(
                f"status={status.value!r} does not apply to disease='severe_aplastic_anaemia': the EBMT score does "
                "not stage severe aplastic anaemia (Handbook Table 11.2, footnote a); expected 'not applicable'"
            )
        return "not scored"
    if disease is EbmtDisease.CML:
        if status not in _CML_STATUSES:
            phases = sorted(s.value for s in _CML_STATUSES - {DiseaseStatus.CHRONIC_PHASE})
            raise ValueError(f"status={status.value!r} is not a CML phase; expected one of {phases}")
        if status is DiseaseStatus.CHRONIC_PHASE:
            raise ValueError(
                "status='chronic phase' does not say which chronic phase; the score needs "
                "'chronic phase 1' (early) or 'chronic phase 2+' (intermediate)"
            )
        if status is DiseaseStatus.CHRONIC_PHASE_1:
            return "early"
        return "late" if status is DiseaseStatus.BLAST_PHASE else "intermediate"
    if status in _CML_STATUSES or status is DiseaseStatus.NOT_APPLICABLE:
        raise ValueError(f"status={status.value!r} does not apply to disease={disease.value!r}")
    if disease in _ACUTE:
        return {DiseaseStatus.CR1: "early", DiseaseStatus.CR2: "intermediate"}.get(status, "late")
    if disease is EbmtDisease.MDS:
        if status in (DiseaseStatus.UNTREATED, DiseaseStatus.CR1):
            return "early"
        return "intermediate" if status in (DiseaseStatus.CR2, DiseaseStatus.PR) else "late"
    if status in (DiseaseStatus.UNTREATED, DiseaseStatus.CR1):
        return "early"
    intermediate = (DiseaseStatus.CR2, DiseaseStatus.PR, DiseaseStatus.STABLE_DISEASE)
    return "intermediate" if status in intermediate else "late"


class EbmtRiskInput(FrozenModel):
    age_years: int = Field(ge=0, le=120, strict=True, description="Recipient age in completed years.")
    disease: EbmtDisease
    status: DiseaseStatus
    months_diagnosis_to_transplant: float = Field(ge=0, le=1200, strict=True)
    donor_relation: DonorRelation
    donor_sex: Sex
    recipient_sex: Sex

    @field_validator("donor_relation")
    @classmethod
    def _scored_donor(cls, relation: DonorRelation) -> DonorRelation:
        if DONOR_CATEGORY[relation] is None:
            scored = sorted(r.value for r, c in DONOR_CATEGORY.items() if c is not None)
            raise ValueError(
                f"donor_relation={relation.value!r} has no category in the EBMT score; expected one of {scored}"
            )
        return relation

    @field_validator("donor_sex", "recipient_sex")
    @classmethod
    def _binary_sex(cls, sex: Sex) -> Sex:
        if sex not in (Sex.FEMALE, Sex.MALE):
            raise ValueError(
                f"sex {sex.value!r} cannot be scored; expected 'female' or 'male' (donor-recipient factor)"
            )
        return sex

    @model_validator(mode="after")
    def _scorable(self) -> EbmtRiskInput:
        disease_stage(self.disease, self.status)
        return self

    @property
    def donor_category(self) -> EbmtDonorCategory:
        category = DONOR_CATEGORY[self.donor_relation]
        assert category is not None  # refused by the validator
        return category


class EbmtRiskResult(ScoreResult):
    value: int
    stage: str


def _o(band: str, endpoint: str, value: float, **kw: object) -> PublishedOutcome:
    return PublishedOutcome.model_validate({"band": band, "endpoint": endpoint, "value": value, **kw})


_GRATWOHL = {
    "time_point": "5 years",
    "cohort": "EBMT allogeneic HSCT 1980-2005 (whole cohort)",
    "n": 56505,
    "verification": VerificationLevel.PRIMARY_ABSTRACT,
    "source": sources.GRATWOHL_2009,
}
_GRATWOHL_RECENT = {
    **_GRATWOHL,
    "cohort": "EBMT allogeneic HSCT 1980-2005, most recent time cohort",
    "n": None,
    "note": "period and size of the most recent time cohort are not stated in the abstract",
}
_EXTERNAL = {
    "time_point": "5 years",
    "cohort": "Single-centre external validation, 273 consecutive adults, allogeneic HSCT 2000-2010",
    "verification": VerificationLevel.PRIMARY_ABSTRACT,
    "source": sources.EBMT_EXTERNAL_2014,
}
# band, 5-year OS %, 5-year TRM %, patients in the band
_EXTERNAL_GROUPS: Final = {
    **dict.fromkeys(range(3), ("0-2", 72, 16, 65)),
    3: ("3", 57, 30, 67),
    4: ("4", 41, 25, 70),
    **dict.fromkeys(range(5, 8), ("5-7", 25, 36, 71)),
}


_CML_1998 = {
    "time_point": "5 years",
    "cohort": "EBMT allogeneic HSCT for CML 1989-1997 (original score)",
    "n": 3142,
    "verification": VerificationLevel.PRIMARY_ABSTRACT,
    "source": sources.GRATWOHL_1998,
    "note": "abstract figures; patients per score not given there; score 7 not reported",
}
# score: (5-year survival %, transplant-related mortality %), Lancet 1998 abstract
_CML_1998_BY_SCORE: Final = {0: (72, 20), 1: (70, 23), 2: (62, 31), 3: (48, 46), 4: (40, 51), 5: (18, 71), 6: (22, 73)}

DISEASE_BANDS: Final = ("0", "1", "2", "3", "4", "5", "6-7")
"""The score columns of the Handbook's Tables 11.3 and 11.4 (6 and 7 share a column)."""

HANDBOOK_ROW: Final[dict[EbmtDisease, str]] = {
    EbmtDisease.AML: "AML",
    EbmtDisease.ALL: "ALL",
    EbmtDisease.CML: "CML",
    EbmtDisease.SEVERE_APLASTIC_ANAEMIA: "AA",
    EbmtDisease.MDS: "MDS",
    EbmtDisease.MULTIPLE_MYELOMA: "MM",
    EbmtDisease.NHL: "NHL",
}
"""The row of Tables 11.3 and 11.4 that holds each disease (the Handbook's row label)."""

# Probability (%) of TRM at 5 years, EBMT Handbook 8th ed. Table 11.3 ("extracted from Gratwohl et al. (2009)");
# columns 0, 1, 2, 3, 4, 5, 6-7; None where the table prints no value.
TRM_5Y_BY_DISEASE: Final[dict[EbmtDisease, tuple[int | None, ...]]] = {
    EbmtDisease.AML: (14, 20, 25, 30, 36, 40, 41),
    EbmtDisease.ALL: (15, 23, 24, 30, 40, 47, 53),
    EbmtDisease.CML: (15, 22, 30, 38, 45, 52, 55),
    EbmtDisease.SEVERE_APLASTIC_ANAEMIA: (18, 26, 40, 49, 52, None, None),
    EbmtDisease.MDS: (25, 28, 30, 35, 38, 46, 50),
    EbmtDisease.MULTIPLE_MYELOMA: (None, None, 29, 35, 40, 42, 52),
    EbmtDisease.NHL: (15, 24, 28, 30, 34, 36, 38),
}
# Probability (%) of OS at 5 years, EBMT Handbook 8th ed. Table 11.4 (same extraction, same columns).
OS_5Y_BY_DISEASE: Final[dict[EbmtDisease, tuple[int | None, ...]]] = {
    EbmtDisease.AML: (68, 59, 52, 38, 30, 23, 18),
    EbmtDisease.ALL: (66, 52, 43, 38, 22, 16, 14),
    EbmtDisease.CML: (76, 72, 60, 51, 39, 26, 14),
    EbmtDisease.SEVERE_APLASTIC_ANAEMIA: (81, 72, 60, 49, 45, None, None),
    EbmtDisease.MDS: (56, 52, 46, 40, 35, 28, 25),
    EbmtDisease.MULTIPLE_MYELOMA: (None, None, 48, 40, 36, 22, 17),
    EbmtDisease.NHL: (75, 59, 50, 48, 43, 40, 38),
}


def disease_band(score: int) -> str:
    """The column of Tables 11.3/11.4 for ``score``: ``"0"`` .. ``"5"`` or ``"6-7"``."""
    if not 0 <= score <= 7:
        raise ValueError(f"EBMT score {score} is outside 0-7")
    return "6-7" if score >= 6 else str(score)


def disease_outcomes(score: int, disease: EbmtDisease) -> tuple[PublishedOutcome, ...]:
    """The Handbook's per-disease 5-year OS and TRM for ``score`` (none where its table is blank)."""
    band = disease_band(score)
    column = DISEASE_BANDS.index(band)
    row = HANDBOOK_ROW[disease]
    found = []
    for endpoint, table, figures in (
        ("overall survival", sources.HB11_TABLE_11_4, OS_5Y_BY_DISEASE[disease]),
        ("transplant-related mortality", sources.HB11_TABLE_11_3, TRM_5Y_BY_DISEASE[disease]),
    ):
        value = figures[column]
        if value is None:
            continue
        found.append(
            _o(
                band,
                endpoint,
                value,
                time_point="5 years",
                cohort=DISEASE_COHORT(disease=row),
                verification=VerificationLevel.SECONDARY,
                source=sources.GRATWOHL_2009,
                reproduced_in=(table,),
                note="patients per cell not given in the Handbook table",
            )
        )
    return tuple(found)


def outcomes_for(score: int, disease: EbmtDisease | None = None) -> tuple[PublishedOutcome, ...]:
    """Published 5-year outcomes that apply to ``score``: per disease, whole cohort, external, CML 1998."""
    found: list[PublishedOutcome] = []
    if disease is not None:
        found += disease_outcomes(score, disease)
    if disease is EbmtDisease.CML and score in _CML_1998_BY_SCORE:
        survival, trm = _CML_1998_BY_SCORE[score]
        found += [
            _o(str(score), "overall survival", survival, **_CML_1998),
            _o(str(score), "transplant-related mortality", trm, **_CML_1998),
        ]
    if score == 0:
        found += [
            _o("0", "overall survival", 71, ci_low=69, ci_high=73, **_GRATWOHL),
            _o("0", "transplant-related mortality", 15, ci_low=14, ci_high=17, **_GRATWOHL),
            _o("0", "overall survival", 75, ci_low=72, ci_high=78, **_GRATWOHL_RECENT),
            _o("0", "transplant-related mortality", 11, ci_low=9, ci_high=13, **_GRATWOHL_RECENT),
        ]
    elif score >= 6:
        found += [
            _o("6-7", "overall survival", 24, ci_low=21, ci_high=27, **_GRATWOHL),
            _o("6-7", "transplant-related mortality", 47, ci_low=44, ci_high=50, **_GRATWOHL),
            _o("6-7", "overall survival", 25, ci_low=22, ci_high=29, **_GRATWOHL_RECENT),
            _o("6-7", "transplant-related mortality", 45, ci_low=42, ci_high=48, **_GRATWOHL_RECENT),
        ]
    band, os_, trm, n = _EXTERNAL_GROUPS[score]
    found += [
        _o(band, "overall survival", os_, n=n, **_EXTERNAL),
        _o(band, "transplant-related mortality", trm, n=n, **_EXTERNAL),
    ]
    return tuple(found)


DISEASE_COHORT: Final = Phrase("EBMT allogeneic HSCT 1980-2005, {disease} patients")
"""The cohort of a per-disease figure (the Handbook's row label in the slot)."""
CML_ACCELERATED_PHASE_RULE: Final = "CML accelerated phase: no stage in the source, scored intermediate"
NOTES: Final = (
    "Points, stage definitions and the 12-month boundary as reproduced in the EBMT Handbook 8th ed. (2024), "
    "Table 11.2; the Cancer 2009 and 2012 abstracts give the five factors and the 0-7 range only.",
    "Per-disease 5-year OS and TRM: Gratwohl 2009 as extracted in the EBMT Handbook Tables 11.4 and 11.3. "
    "Whole-cohort figures for scores 1-5 were not found in a checked source; not shown.",
)
"""The result's notes (English; the pages translate them)."""

INTERVAL_MONTHS: Final = 12
"""Months from diagnosis from which the interval scores 1: < 12 months 0, >= 12 months 1 (Handbook Table 11.2)."""

_HB = (sources.HB11_TABLE_11_2,)


def _stage_component(data: EbmtRiskInput, stage: str) -> Component:
    text = f"disease={data.disease.value}, status={data.status.value} -> {stage}"
    rule = "early 0, intermediate 1, late 2 (severe aplastic anaemia not scored)"
    if data.disease is EbmtDisease.CML and data.status is DiseaseStatus.ACCELERATED_PHASE:
        # The Handbook's footnote excludes accelerated phase from intermediate and names only blast crisis as late.
        return Component(
            item="disease_stage",
            input=text,
            points=_STAGE_POINTS[stage],
            rule=CML_ACCELERATED_PHASE_RULE,
            verification=VerificationLevel.UNVERIFIED,
        )
    return Component(
        item="disease_stage",
        input=text,
        points=_STAGE_POINTS.get(stage, 0),
        rule=rule,
        verification=VerificationLevel.SECONDARY,
        reproduced_in=_HB,
    )


def ebmt_risk(data: EbmtRiskInput) -> EbmtRiskResult:
    """Compute the EBMT risk score (0-7; at most 6 in first complete remission, 5 in severe aplastic anaemia)."""
    stage = disease_stage(data.disease, data.status)
    age_points = 0 if data.age_years < 20 else 1 if data.age_years <= 40 else 2
    in_cr1 = data.status is DiseaseStatus.CR1
    time_points = 0 if in_cr1 or data.months_diagnosis_to_transplant < INTERVAL_MONTHS else 1
    donor_points = 1 if data.donor_category is EbmtDonorCategory.UNRELATED else 0
    f_to_m = data.donor_sex is Sex.FEMALE and data.recipient_sex is Sex.MALE
    time_rule = "not scored in first complete remission" if in_cr1 else "< 12 months 0, >= 12 months 1"
    secondary = {"verification": VerificationLevel.SECONDARY, "reproduced_in": _HB}
    components = (
        Component(
            item="age",
            input=f"age_years={data.age_years}",
            points=age_points,
            rule="< 20 years 0, 20-40 years 1, > 40 years 2",
            **secondary,
        ),
        _stage_component(data, stage),
        Component(
            item="time_diagnosis_to_transplant",
            input=f"months_diagnosis_to_transplant={data.months_diagnosis_to_transplant:g}",
            points=time_points,
            rule=time_rule,
            **secondary,
        ),
        Component(
            item="donor_type",
            input=f"donor_relation={data.donor_relation.value} -> {data.donor_category.value}",
            points=donor_points,
            rule="HLA-identical sibling 0, unrelated 1",
            **secondary,
        ),
        Component(
            item="donor_recipient_sex",
            input=f"donor_sex={data.donor_sex.value}, recipient_sex={data.recipient_sex.value}",
            points=1 if f_to_m else 0,
            rule="female donor to male recipient 1, any other combination 0",
            **secondary,
        ),
    )
    score = int(sum(c.points for c in components))
    return EbmtRiskResult(
        instrument=INSTRUMENT,
        version="gratwohl-2009",
        value=score,
        band=str(score),
        stage=stage,
        components=components,
        outcomes=outcomes_for(score, data.disease),
        citation=sources.GRATWOHL_2009,
        notes=NOTES,
    )
