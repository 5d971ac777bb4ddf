"""The registry's side of the risk explanation: an episode's facts and stored assessments, and the report.

Reads the episode, its patient (age only: no identifying field), diagnosis, first donor and the stored
assessments of the risk profile (:mod:`engraft.registry.risk_profile`) in one read, and the outcome table
(:func:`~engraft.registry.outcome_data.load_outcome_table`) for the centre's results; the report itself is
built by the pure :func:`engraft.reports.build_risk_report`. Nothing is written.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

import engraft
from engraft.config.hla_release import load_nomenclature
from engraft.hla.matching.locus_match import match_typings
from engraft.hla.matching.match_counts import match_counts
from engraft.hla.matching.typing_builder import typings_from_gl
from engraft.hla.nomenclature.errors import HlaError
from engraft.registry import checks
from engraft.registry.models import Assessment, Diagnosis, Donor
from engraft.registry.outcome_data import load_outcome_table
from engraft.registry.score_inputs import age_years
from engraft.registry.service import RegistryService
from engraft.reports import DonorMatchFacts, EpisodeFacts, InstrumentFinding, RiskReport, build_risk_report
from engraft.reports.centre_results import DEFAULT_MIN_PEERS
from engraft.vocabulary.hla import MATCH_LOCI

REPORTED_INSTRUMENTS = ("hct-ci", "hct-ci-age", "ebmt-risk", "refined-dri", "karnofsky", "lansky")
"""The stored instruments the explanation reads (the newest assessment of each)."""


def episode_facts(service: RegistryService, episode_id: int) -> EpisodeFacts:
    """The facts of ``episode_id`` the explanation needs; :class:`RecordNotFound` when there is no such episode,
    :class:`InvalidRecord` on ``cell_therapy`` for an immune effector cell episode (the explanation is of a
    transplant's risk; :func:`checks.require_transplant`)."""
    with service.read_snapshot() as session:
        episode = checks.fetch_transplant(session, episode_id)
        patient = checks.fetch_patient(session, episode.patient_id)
        diagnosis = session.get(Diagnosis, episode.diagnosis_id) if episode.diagnosis_id else None
        donor_ids = episode.donor_ids
        first_donor = session.get(Donor, donor_ids[0]) if donor_ids else None
        assessments = session.scalars(
            select(Assessment)
            .where(Assessment.episode_id == episode_id, Assessment.instrument.in_(REPORTED_INSTRUMENTS))
            .order_by(Assessment.assessed_at, Assessment.id)
        ).all()
        return EpisodeFacts(
            episode_id=episode.id,
            centre=episode.centre.code,
            transplant_type=episode.transplant_type,
            graft_source=episode.graft_source,
            donor_relation=first_donor.relation if first_donor else None,
            donor_count=len(donor_ids),
            age_years=age_years(patient.birth_date, episode.day0),
            icd10=diagnosis.icd10 if diagnosis else None,
            disease_status=diagnosis.status_at_transplant if diagnosis else None,
            day0=episode.day0,
            findings=tuple(InstrumentFinding.from_stored(a.result, a.assessed_at) for a in assessments),
            donor_match=donor_match(patient.hla_gl_string, first_donor.hla_gl_string if first_donor else None),
        )


def donor_match(patient_gl: str | None, donor_gl: str | None) -> DonorMatchFacts | None:
    """The honest 10-position count of two stored typings with the configured release; None when either typing
    is missing or no release can be read (the explanation then says the match cannot be given)."""
    if not patient_gl or not donor_gl:
        return None
    try:
        nomenclature = load_nomenclature()
        patient, donor = typings_from_gl(nomenclature, patient_gl), typings_from_gl(nomenclature, donor_gl)
    except (HlaError, OSError, ValueError):
        return None
    result = match_typings(patient, donor, loci=MATCH_LOCI)
    counts = match_counts(
        MATCH_LOCI,
        result.loci,
        patient_typed=[locus for locus in MATCH_LOCI if locus.value in patient],
        donor_typed=[locus for locus in MATCH_LOCI if locus.value in donor],
    )
    return DonorMatchFacts(
        total=counts.total,
        typed=counts.typed,
        matched=counts.matched,
        untyped_loci=tuple(locus.value for locus in counts.untyped_loci),
    )


def episode_risk_report(
    service: RegistryService,
    engine: Engine,
    episode_id: int,
    *,
    min_peers: int = DEFAULT_MIN_PEERS,
    today: dt.date | None = None,
) -> RiskReport:
    """The risk explanation of ``episode_id`` from the registry as it is now."""
    facts = episode_facts(service, episode_id)
    generated_on = today or dt.datetime.now(dt.UTC).date()
    return build_risk_report(
        facts,
        load_outcome_table(engine, centre=facts.centre),
        software_version=engraft.__version__,
        generated_on=generated_on,
        data_as_of=generated_on,
        min_peers=min_peers,
    )
