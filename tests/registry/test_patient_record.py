"""The patient page's record read (engraft.registry.patient_record) against the service's paged reads.

``read_patient_record`` reads the whole record on one connection with its own statements (column queries,
one joined statement for the episodes); it must hand out exactly what the service's reads of the same
records do, for every patient of the demo cohort, and write one audit entry per read.
"""

from __future__ import annotations

from sqlalchemy import func, select

from engraft.registry.audit import AuditAction
from engraft.registry.models import AuditEntry, TransplantEpisode
from engraft.registry.patient_record import read_chart_observations, read_chart_series, read_patient_record
from engraft.registry.service import MAX_PAGE
from engraft.web.pages.patients_labs import CHART_LOINCS
from tests.demo_cohort import DemoCohort


def _reads(cohort: DemoCohort) -> int:
    with cohort.engine.connect() as conn:
        stmt = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == AuditAction.READ)
        return int(conn.scalar(stmt) or 0)


def test_the_record_read_matches_the_service_reads_for_every_demo_patient(
    demo_cohort_writable: DemoCohort,
) -> None:
    cohort, service = demo_cohort_writable, demo_cohort_writable.service
    with cohort.engine.connect() as conn:
        patients = sorted(set(conn.scalars(select(TransplantEpisode.patient_id))))
    assert len(patients) >= 20
    for pid in patients:
        before = _reads(cohort)
        record = read_patient_record(service, pid, True, CHART_LOINCS)
        assert _reads(cohort) == before + 1, pid  # one audit entry per view
        assert record.patient == service.get_patient(pid, include_identity=True)
        assert record.diagnoses == service.list_diagnoses(limit=MAX_PAGE, patient_id=pid).items
        episodes = service.list_episodes(limit=MAX_PAGE, patient_id=pid).items
        assert record.episodes == sorted(episodes, key=lambda e: e.sequence_number), pid
        assert record.events == service.list_events(limit=MAX_PAGE, patient_id=pid).items
        assert record.visits == service.list_follow_ups(limit=MAX_PAGE, patient_id=pid).items
        assert record.assessments == service.list_assessments(limit=MAX_PAGE, patient_id=pid).items
        donor_ids = sorted({d for e in episodes for d in e.donor_ids})
        assert record.donors == {d: service.get_donor(d) for d in donor_ids}
        assert record.observations == read_chart_observations(service, pid, CHART_LOINCS)
        assert len(record.observations) > 100  # the charts' daily series


def test_a_chart_series_is_the_episodes_and_observations_and_audits_nothing(demo_cohort_writable: DemoCohort) -> None:
    cohort, service = demo_cohort_writable, demo_cohort_writable.service
    with cohort.engine.connect() as conn:
        pid = conn.scalar(select(TransplantEpisode.patient_id).order_by(TransplantEpisode.id).limit(1))
    assert pid is not None
    before = _reads(cohort)
    episodes, observations = read_chart_series(service, pid, {"751-8"})
    assert _reads(cohort) == before
    assert [e.id for e in episodes] == [e.id for e in read_patient_record(service, pid, False, ()).episodes]
    assert observations and {o.loinc for o in observations} == {"751-8"}
