"""Pre-transplant risk profile of an episode: every applicable instrument, stored as Assessments.

Inputs the registry holds (age, sex, diagnosis and status, donors and their markers, conditioning,
graft product) become each instrument's typed input through :mod:`engraft.registry.score_inputs`; what
the registry does not hold (HCT-CI comorbidities, pre-transplant performance score, donor screening
answers, refined-DRI stage) comes in the request, typed by the instruments' own models. An instrument
whose facts are missing or do not apply is listed as skipped with the reason, never guessed; a fact that
cannot be mapped is an error (:class:`~engraft.registry.score_inputs.ScoreMappingError`), never a skip.
All assessments of one call are written in one transaction.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, ValidationError, field_validator

from engraft.provenance import FrozenModel
from engraft.registry import checks
from engraft.registry.audit import AuditAction
from engraft.registry.errors import InvalidRecord, Problem
from engraft.registry.models import Assessment, Diagnosis, Donor, Patient, TransplantEpisode
from engraft.registry.schemas.clinical import AssessmentOut
from engraft.registry.schemas.common import InputModel, RecordId
from engraft.registry.score_inputs import (
    ConditioningRow,
    MarkerRow,
    NotApplicable,
    age_years,
    conditioning_input,
    donor_eligibility_input,
    ebmt_input,
    graft_quality_input,
    performance_input,
)
from engraft.registry.service import RegistryService
from engraft.scores.catalog import CATALOG
from engraft.scores.conditioning import ConditioningVariant
from engraft.scores.hctci import HctCiInput, HctCiItemFlags
from engraft.scores.hctci_age import HctCiAgeInput
from engraft.scores.hctci_facts import HctCiFacts
from engraft.scores.hctci_items import HctCiVariant
from engraft.scores.provenance import ScoreResult
from engraft.scores.refined_dri import RefinedDriInput

ASSESSED_ON_TIME = dt.time(12, 0, tzinfo=dt.UTC)
"""The time of day an assessment given by its day is stored at (noon UTC keeps the day in every time zone
from UTC-11 to UTC+11)."""


class DonorScreening(InputModel):
    """Donor-screening answers the registry does not hold (21 CFR 1271.75)."""

    donor_id: RecordId
    screening_complete: bool
    screening_risk_factor_identified: bool
    documented_urgent_medical_need: bool = False


class HctCiAnswers(InputModel):
    """The HCT-CI comorbidity answers: the 17 item flags or the clinical facts (age comes from the registry)."""

    variant: HctCiVariant = HctCiVariant.SORROR_2005
    items: HctCiItemFlags | None = None
    facts: HctCiFacts | None = None


class RiskProfileRequest(InputModel):
    hct_ci: HctCiAnswers | None = Field(default=None, description="HCT-CI comorbidity answers")
    performance_score: int | None = Field(default=None, ge=0, le=100, multiple_of=10)
    refined_dri: RefinedDriInput | None = Field(default=None, description="input of the refined-dri instrument")
    donor_screening: list[DonorScreening] = Field(default_factory=list, max_length=8)
    conditioning_variant: ConditioningVariant = ConditioningVariant.CIBMTR_OPERATIONAL
    assessed_on: dt.date | None = Field(
        default=None,
        description="the day the patient was assessed (e.g. the pre-transplant work-up); default: today",
    )

    @field_validator("assessed_on")
    @classmethod
    def _not_in_the_future(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and value > dt.datetime.now(dt.UTC).date():
            raise ValueError(f"assessed_on={value.isoformat()} is in the future; expected a past day")
        return value


class SkippedInstrument(BaseModel):
    instrument: str
    reason: str


class RiskProfile(BaseModel):
    episode_id: int
    assessments: list[AssessmentOut]
    skipped: list[SkippedInstrument]


class _Facts:
    """Registry facts of one episode, loaded inside the profile's transaction."""

    def __init__(self, episode: TransplantEpisode, patient: Patient, diagnosis: Diagnosis | None, donors: list[Donor]):
        self.episode, self.patient, self.diagnosis, self.donors = episode, patient, diagnosis, donors
        self.age = age_years(patient.birth_date, episode.day0)


_Planned = tuple[str, FrozenModel | NotApplicable, str]


def _hct_ci(facts: _Facts, answers: HctCiAnswers) -> HctCiInput:
    """The HCT-CI input with the registry's age; a fault in the answers is the caller's (422, ``hct_ci.*``)."""
    try:
        return HctCiInput(variant=answers.variant, age_years=facts.age, items=answers.items, facts=answers.facts)
    except ValidationError as exc:
        problems = [
            Problem("hct_ci." + ".".join(map(str, e["loc"])) if e["loc"] else "hct_ci", e.get("input"), e["msg"])
            for e in exc.errors()
        ]
        raise InvalidRecord(problems) from exc


def _plan(facts: _Facts, request: RiskProfileRequest) -> list[_Planned]:
    ep, patient, dx = facts.episode, facts.patient, facts.diagnosis
    plan: list[_Planned] = []
    if request.hct_ci is not None:
        hct_ci = _hct_ci(facts, request.hct_ci)
        plan.append(("hct-ci", hct_ci, ""))
        plan.append(("hct-ci-age", HctCiAgeInput(age_years=facts.age, hct_ci=hct_ci), ""))
    else:
        plan.append(("hct-ci", NotApplicable("no comorbidity data given (hct_ci)"), ""))
    if request.performance_score is None:
        plan.append(("karnofsky", NotApplicable("no pre-transplant performance score given (performance_score)"), ""))
    else:
        scale, performance = performance_input(request.performance_score, facts.age)
        plan.append((scale.value, performance, ""))
    first_donor = facts.donors[0] if facts.donors else None
    plan.append(
        (
            "ebmt-risk",
            ebmt_input(
                transplant_type=ep.transplant_type,
                age=facts.age,
                icd10=dx.icd10 if dx else None,
                status=dx.status_at_transplant if dx else None,
                diagnosis_date=dx.diagnosis_date if dx else None,
                day0=ep.day0,
                donor_relation=first_donor.relation if first_donor else None,
                donor_sex=first_donor.sex if first_donor else None,
                recipient_sex=patient.sex,
            ),
            "",
        )
    )
    dri = request.refined_dri
    plan.append(
        ("refined-dri", dri if dri is not None else NotApplicable("no refined-DRI input given (refined_dri)"), "")
    )
    rows = [ConditioningRow(a.drug, a.total_dose, a.unit, a.route) for a in ep.conditioning]
    plan.append(
        (
            "conditioning-intensity",
            conditioning_input(rows, ep.tbi_dose_gy, ep.tbi_fractions, request.conditioning_variant),
            "",
        )
    )
    plan.append(
        (
            "graft-quality",
            graft_quality_input(
                graft_source=ep.graft_source,
                transplant_type=ep.transplant_type,
                donor_count=len(facts.donors),
                recipient_weight_kg=patient.weight_kg,
                cd34_per_kg=ep.cd34_per_kg,
                tnc_per_kg=ep.tnc_per_kg,
                tnc_unit=ep.tnc_unit,
                viability_pct=ep.viability_pct,
            ),
            "",
        )
    )
    screenings = {s.donor_id: s for s in request.donor_screening}
    for donor in facts.donors:
        screening = screenings.get(donor.id)
        planned: FrozenModel | NotApplicable
        if screening is None:
            planned = NotApplicable(f"no screening answers given for donor {donor.id} (donor_screening)")
        else:
            planned = donor_eligibility_input(
                transplant_type=ep.transplant_type,
                graft_source=ep.graft_source,
                recovery_date=ep.day0,
                markers=[MarkerRow(m.test, m.result, m.result_date) for m in donor.markers],
                screening_complete=screening.screening_complete,
                screening_risk_factor_identified=screening.screening_risk_factor_identified,
                documented_urgent_medical_need=screening.documented_urgent_medical_need,
            )
        plan.append(("donor-eligibility", planned, f"donor {donor.id}"))
    return plan


def build_risk_profile(service: RegistryService, episode_id: int, request: RiskProfileRequest) -> RiskProfile:
    """Run every applicable instrument for ``episode_id`` and store each result as an Assessment.

    :class:`RecordNotFound` for an unknown episode, :class:`InvalidRecord` on ``cell_therapy`` for an immune
    effector cell episode (the instruments are for transplants; :func:`checks.require_transplant`).
    """
    with service.transaction() as session:
        episode = checks.fetch_transplant(session, episode_id)
        patient = checks.fetch_patient(session, episode.patient_id)
        diagnosis = session.get(Diagnosis, episode.diagnosis_id) if episode.diagnosis_id else None
        donors = [d for d in (session.get(Donor, i) for i in episode.donor_ids) if d is not None]
        facts = _Facts(episode, patient, diagnosis, donors)
        stored: list[Assessment] = []
        skipped: list[SkippedInstrument] = []
        for name, planned, label in _plan(facts, request):
            shown = f"{name} ({label})" if label else name
            if isinstance(planned, NotApplicable):
                skipped.append(SkippedInstrument(instrument=shown, reason=planned.reason))
                continue
            result: ScoreResult = CATALOG[name].function(planned)
            value = result.value if isinstance(result.value, int | float) else None
            assessment = Assessment(
                patient_id=patient.id,
                episode_id=episode.id,
                instrument=result.instrument,
                instrument_version=result.version,
                value=value,
                band=result.band[:120],
                inputs=planned.model_dump(mode="json"),
                result=result.model_dump(mode="json"),
                citation=result.citation.text(),
            )
            if request.assessed_on is not None:
                assessment.assessed_at = dt.datetime.combine(request.assessed_on, ASSESSED_ON_TIME)
            session.add(assessment)
            stored.append(assessment)
        session.flush()
        service.audit(
            session,
            AuditAction.CREATE,
            "assessment",
            episode.id,
            {"instruments": [a.instrument for a in stored], "skipped": [s.instrument for s in skipped]},
        )
        return RiskProfile(
            episode_id=episode.id, assessments=[AssessmentOut.model_validate(a) for a in stored], skipped=skipped
        )
