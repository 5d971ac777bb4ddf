"""Pre-transplant risk profile of an episode: every applicable instrument, stored as Assessments.

Inputs the registry holds (age, sex, diagnosis and status, donors and their markers, conditioning,
graft product) are mapped onto each instrument's typed input; what it does not hold (HCT-CI
comorbidities, pre-transplant performance score, donor screening answers, refined-DRI stage) comes
in the request. An instrument whose inputs are missing or do not fit is listed as skipped with the
reason, never guessed. All assessments of one call are written in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from engraft.registry import checks
from engraft.registry.audit import AuditAction
from engraft.registry.errors import InvalidRecord, Problem, RecordNotFound
from engraft.registry.models import Assessment, Diagnosis, Donor, Patient, TransplantEpisode
from engraft.registry.schemas.clinical import AssessmentOut
from engraft.registry.schemas.common import InputModel
from engraft.registry.service import RegistryService
from engraft.scores.catalog import CATALOG
from engraft.scores.provenance import ScoreResult
from engraft.vocabulary import DiseaseStatus, DonorRelation, GraftSource, Sex, TransplantType


class DonorScreening(InputModel):
    """Donor-screening answers the registry does not hold (21 CFR 1271.75)."""

    donor_id: int = Field(ge=1)
    screening_complete: bool
    screening_risk_factor_identified: bool
    documented_urgent_medical_need: bool = False


class RiskProfileRequest(InputModel):
    hct_ci: dict[str, Any] | None = Field(default=None, description="input of the hct-ci instrument")
    performance_score: int | None = Field(default=None, ge=0, le=100, multiple_of=10)
    refined_dri: dict[str, Any] | None = Field(default=None, description="input of the refined-dri instrument")
    donor_screening: list[DonorScreening] = Field(default_factory=list)
    conditioning_variant: Literal["cibmtr-operational", "giralt-2009"] = "cibmtr-operational"


class SkippedInstrument(BaseModel):
    instrument: str
    reason: str


class RiskProfile(BaseModel):
    episode_id: int
    assessments: list[AssessmentOut]
    skipped: list[SkippedInstrument]


_EBMT_STATUS = {
    DiseaseStatus.CR1: "cr1",
    DiseaseStatus.CR2: "cr2",
    DiseaseStatus.CR3_OR_LATER: "cr3_or_later",
    DiseaseStatus.PR: "partial_remission",
    DiseaseStatus.STABLE_DISEASE: "stable_disease",
    DiseaseStatus.RELAPSE: "relapse",
    DiseaseStatus.PRIMARY_REFRACTORY: "primary_refractory",
    DiseaseStatus.UNTREATED: "untreated",
    DiseaseStatus.ACCELERATED_PHASE: "accelerated_phase",
    DiseaseStatus.BLAST_PHASE: "blast_crisis",
    DiseaseStatus.NOT_APPLICABLE: "not_applicable",
}
_EBMT_DONOR = {
    DonorRelation.MATCHED_SIBLING: "hla_identical_sibling",
    DonorRelation.MATCHED_UNRELATED: "unrelated",
    DonorRelation.MISMATCHED_UNRELATED: "unrelated",
    DonorRelation.HAPLOIDENTICAL: "haploidentical",
    DonorRelation.CORD_BLOOD_UNIT: "cord_blood",
    DonorRelation.AUTOLOGOUS: "autologous",
}
_ICD10_EBMT_DISEASE = (
    (("C92.0", "C92.3", "C92.4", "C92.5", "C92.6", "C92.8", "C93.0", "C94.0", "C94.2"), "aml"),
    (("C91.0",), "all"),
    (("C92.1",), "cml"),
    (("D46",), "mds"),
    (("C90.0",), "multiple_myeloma"),
    (("D61",), "severe_aplastic_anaemia"),
    (("C82", "C83", "C84", "C85", "C86", "C88"), "nhl"),
)
_MARKERS = {
    "HIV-1/2 antibody": "hiv_1_2",
    "HIV-1 NAT": "hiv_1_nat",
    "HBsAg": "hbsag",
    "anti-HBc": "anti_hbc",
    "HBV NAT": "hbv_nat",
    "HCV antibody": "hcv",
    "HCV NAT": "hcv_nat",
    "HTLV-I/II antibody": "htlv_i_ii",
    "syphilis": "syphilis",
    "CMV antibody": "cmv",
    "WNV NAT": "wnv_nat",
}
_AGENT_ALIASES = {"anti-thymocyte globulin": "anti_thymocyte_globulin", "atg": "anti_thymocyte_globulin"}


def ebmt_disease(icd10: str) -> str | None:
    for prefixes, disease in _ICD10_EBMT_DISEASE:
        if any(icd10.startswith(p) for p in prefixes):
            return disease
    return None


def age_years(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _months_between(start: dt.date, end: dt.date) -> float:
    return (end - start).days / 30.4375


def _agent_name(drug: str) -> str:
    name = drug.strip().lower()
    for alias, agent in _AGENT_ALIASES.items():
        if name.startswith(alias):
            return agent
    return name


class _Inputs:
    """Registry facts of one episode, loaded inside the profile's transaction."""

    def __init__(self, episode: TransplantEpisode, patient: Patient, diagnosis: Diagnosis | None, donors: list[Donor]):
        self.episode, self.patient, self.diagnosis, self.donors = episode, patient, diagnosis, donors
        self.age = age_years(patient.birth_date, episode.day0)


def _performance(facts: _Inputs, request: RiskProfileRequest) -> tuple[str, dict[str, Any]] | str:
    if request.performance_score is None:
        return "no pre-transplant performance score given (performance_score)"
    scale = "lansky" if facts.age < 16 else "karnofsky"
    return scale, {"score": request.performance_score, "age_years": facts.age}


def _ebmt(facts: _Inputs) -> dict[str, Any] | str:
    if facts.episode.transplant_type is TransplantType.AUTOLOGOUS:
        return "the EBMT score applies to allogeneic transplants"
    if facts.diagnosis is None or facts.diagnosis.status_at_transplant is None:
        return "the episode has no diagnosis with a disease status at transplant"
    disease = ebmt_disease(facts.diagnosis.icd10)
    if disease is None:
        return f"ICD-10 {facts.diagnosis.icd10} is not one of the EBMT score's diseases"
    status = _EBMT_STATUS.get(facts.diagnosis.status_at_transplant)
    if status is None:
        return f"status {facts.diagnosis.status_at_transplant} does not say which chronic phase (1 or 2+)"
    donor = facts.donors[0] if facts.donors else None
    if donor is not None and donor.relation not in _EBMT_DONOR:
        return f"donor relation {donor.relation.value!r} has no EBMT score category"
    if donor is None or donor.sex not in (Sex.MALE, Sex.FEMALE) or facts.patient.sex not in (Sex.MALE, Sex.FEMALE):
        return "donor and recipient sex (male/female) are both needed"
    return {
        "age_years": facts.age,
        "disease": disease,
        "status": status,
        "months_diagnosis_to_transplant": round(_months_between(facts.diagnosis.diagnosis_date, facts.episode.day0), 2),
        "donor_type": _EBMT_DONOR[donor.relation],
        "donor_sex": donor.sex.value,
        "recipient_sex": facts.patient.sex.value,
    }


def conditioning_input(
    agents: Sequence[tuple[str, float, str, str | None]], tbi_gy: float | None, tbi_fractions: int | None, variant: str
) -> dict[str, Any] | str:
    """The conditioning-intensity instrument's input from registry rows (drug, total dose, unit, route)."""
    entries: list[dict[str, Any]] = []
    for drug, dose, unit, route in agents:
        entry: dict[str, Any] = {"agent": _agent_name(drug), "total_dose": {"value": dose, "unit": unit}}
        if route is not None:
            entry["route"] = route
        entries.append(entry)
    payload: dict[str, Any] = {"variant": variant, "agents": entries}
    if tbi_gy:
        if tbi_fractions is None:
            return "the number of TBI fractions is not recorded (single vs fractionated thresholds differ)"
        payload["tbi"] = {"total_dose": {"value": tbi_gy, "unit": "Gy"}, "fractions": tbi_fractions}
    if not entries and "tbi" not in payload:
        return "no conditioning regimen is recorded"
    return payload


def _conditioning(facts: _Inputs, variant: str) -> dict[str, Any] | str:
    rows = [(a.drug, a.total_dose, a.unit, a.route.value if a.route else None) for a in facts.episode.conditioning]
    return conditioning_input(rows, facts.episode.tbi_dose_gy, facts.episode.tbi_fractions, variant)


def _graft(facts: _Inputs) -> dict[str, Any] | str:
    ep = facts.episode
    if facts.patient.weight_kg is None:
        return "recipient weight is not recorded"
    if ep.graft_source is GraftSource.CORD_BLOOD:
        source = "cord_blood_double_unit" if len(facts.donors) > 1 else "cord_blood_single"
    elif ep.graft_source is GraftSource.BONE_MARROW:
        source = "bone_marrow"
    else:
        source = "pbsc_autologous" if ep.transplant_type is TransplantType.AUTOLOGOUS else "pbsc_allogeneic"
    payload: dict[str, Any] = {"source": source, "recipient_weight": {"value": facts.patient.weight_kg, "unit": "kg"}}
    if ep.cd34_per_kg is not None:
        payload["cd34"] = {"value": ep.cd34_per_kg, "unit": "10*6/kg"}
    if ep.tnc_per_kg is not None and ep.tnc_unit is not None:
        payload["tnc"] = {"value": ep.tnc_per_kg, "unit": ep.tnc_unit}
    if ep.viability_pct is not None:
        payload["cd34_viability_percent"] = ep.viability_pct
    if "cd34" not in payload and "tnc" not in payload:
        return "no CD34+ or TNC dose is recorded"
    return payload


def _donor_eligibility(facts: _Inputs, donor: Donor, screening: DonorScreening | None) -> dict[str, Any] | str:
    if screening is None:
        return f"no screening answers given for donor {donor.id} (donor_screening)"
    product = {GraftSource.CORD_BLOOD: "hpc_cord_blood", GraftSource.BONE_MARROW: "hpc_marrow"}.get(
        facts.episode.graft_source, "hpc_apheresis"
    )
    markers = [
        {
            "marker": _MARKERS[m.test.value],
            "result": m.result.value.replace("-", "_"),
            "specimen_date": m.result_date.isoformat(),
        }
        for m in donor.markers
        if m.test.value in _MARKERS
    ]
    return {
        "intended_use": "autologous" if donor.relation is DonorRelation.AUTOLOGOUS else "allogeneic",
        "product": product,
        "recovery_date": facts.episode.day0.isoformat(),
        "markers": markers,
        "screening_complete": screening.screening_complete,
        "screening_risk_factor_identified": screening.screening_risk_factor_identified,
        "documented_urgent_medical_need": screening.documented_urgent_medical_need,
    }


def _plan(facts: _Inputs, request: RiskProfileRequest) -> list[tuple[str, dict[str, Any] | str, str]]:
    plan: list[tuple[str, dict[str, Any] | str, str]] = []
    if request.hct_ci is not None:
        hct_ci = {**request.hct_ci, "age_years": facts.age}
        plan.append(("hct-ci", hct_ci, ""))
        plan.append(("hct-ci-age", {"age_years": facts.age, "hct_ci": hct_ci}, ""))
    else:
        plan.append(("hct-ci", "no comorbidity data given (hct_ci)", ""))
    performance = _performance(facts, request)
    if isinstance(performance, str):
        plan.append(("karnofsky", performance, ""))
    else:
        plan.append((performance[0], performance[1], ""))
    plan.append(("ebmt-risk", _ebmt(facts), ""))
    plan.append(
        (
            "refined-dri",
            request.refined_dri if request.refined_dri is not None else "no refined-DRI input given (refined_dri)",
            "",
        )
    )
    plan.append(("conditioning-intensity", _conditioning(facts, request.conditioning_variant), ""))
    plan.append(("graft-quality", _graft(facts), ""))
    screenings = {s.donor_id: s for s in request.donor_screening}
    for donor in facts.donors:
        plan.append(
            ("donor-eligibility", _donor_eligibility(facts, donor, screenings.get(donor.id)), f"donor {donor.id}")
        )
    return plan


def build_risk_profile(service: RegistryService, episode_id: int, request: RiskProfileRequest) -> RiskProfile:
    """Run every applicable instrument for ``episode_id`` and store each result as an Assessment."""
    with service.transaction() as session:
        episode = session.get(TransplantEpisode, episode_id)
        if episode is None:
            raise RecordNotFound("transplant episode", episode_id)
        patient = checks.fetch_patient(session, episode.patient_id)
        diagnosis = session.get(Diagnosis, episode.diagnosis_id) if episode.diagnosis_id else None
        donors = [d for d in (session.get(Donor, i) for i in episode.donor_ids) if d is not None]
        facts = _Inputs(episode, patient, diagnosis, donors)
        stored: list[Assessment] = []
        skipped: list[SkippedInstrument] = []
        for name, payload, label in _plan(facts, request):
            shown = f"{name} ({label})" if label else name
            if isinstance(payload, str):
                skipped.append(SkippedInstrument(instrument=shown, reason=payload))
                continue
            entry = CATALOG[name]
            try:
                result: ScoreResult = entry.run(payload)
            except ValidationError as exc:
                if name in ("hct-ci", "refined-dri"):
                    problems = [
                        Problem(f"{name.replace('-', '_')}." + ".".join(map(str, e["loc"])), e.get("input"), e["msg"])
                        for e in exc.errors()
                    ]
                    raise InvalidRecord(problems) from exc
                reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
                skipped.append(SkippedInstrument(instrument=shown, reason=f"registry data do not fit: {reasons}"))
                continue
            value = result.value if isinstance(result.value, int | float) else None
            assessment = Assessment(
                patient_id=patient.id,
                episode_id=episode.id,
                instrument=result.instrument,
                instrument_version=result.version,
                value=value,
                band=result.band[:120],
                inputs=payload,
                result=result.model_dump(mode="json"),
                citation=result.citation.text(),
            )
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
