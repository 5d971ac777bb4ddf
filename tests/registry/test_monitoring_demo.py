"""The demo cohort in the registry, evaluated episode by episode: the neutrophil engraftment the engine finds is
the event the demo recorded (linked, not written twice), and evaluating again changes nothing.

Platelet engraftment is not asserted from the registry: it holds no platelet transfusion record (the pure
replay with the demo's transfusion days is tests/monitoring/test_demo_replay.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from engraft.registry.models import ClinicalEvent, MonitoringAlert, TransplantEpisode
from engraft.registry.monitoring_service import evaluate_episode
from engraft.vocabulary import EventType
from tests.demo_cohort import DemoCohort


def test_the_demo_cohort_evaluated_in_the_registry(demo_cohort_writable: DemoCohort) -> None:
    cohort = demo_cohort_writable
    with cohort.engine.connect() as conn:
        episodes = conn.execute(select(TransplantEpisode.id, TransplantEpisode.day0)).all()
        events_before = conn.scalar(select(func.count()).select_from(ClinicalEvent))
        recorded = {
            row.episode_id: row.event_date
            for row in conn.execute(
                select(ClinicalEvent.episode_id, ClinicalEvent.event_date).where(
                    ClinicalEvent.event_type == EventType.NEUTROPHIL_ENGRAFTMENT
                )
            )
        }
    as_of = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)  # after the demo's data cut-off
    for episode in episodes:
        evaluate_episode(cohort.service, episode.id, as_of=as_of)
    with cohort.engine.connect() as conn:
        alerts = conn.execute(select(MonitoringAlert).where(MonitoringAlert.rule_id == "neutrophil-engraftment")).all()
        events_after = conn.scalar(select(func.count()).select_from(ClinicalEvent))
        total = conn.scalar(select(func.count()).select_from(MonitoringAlert))
    found = {a.episode_id: a for a in alerts}
    assert set(recorded) <= set(found) and len(recorded) >= len(episodes) // 2
    day0 = {e.id: e.day0 for e in episodes}
    for episode_id, date in recorded.items():
        alert = found[episode_id]
        assert alert.details["event"]["day"] == (date - day0[episode_id]).days, episode_id
        assert alert.event_id is not None
    assert events_after == events_before  # the recorded events were linked, none written twice
    _acute_gvhd_grades_match_the_recorded_events(cohort)
    for episode in episodes:
        again = evaluate_episode(cohort.service, episode.id, as_of=as_of)
        assert (again.raised, again.cleared, again.escalated) == ([], [], [])
    with cohort.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(MonitoringAlert)) == total


def _acute_gvhd_grades_match_the_recorded_events(cohort: DemoCohort) -> None:
    """Each recorded acute GVHD event (the demo records its findings) is the onset the engine graded: the onset
    alert is linked to it and carries the same grade and organ stages."""
    keys = ("grade", "skin_stage", "liver_stage", "upper_gi_stage", "lower_gi_stage")
    with cohort.engine.connect() as conn:
        events = conn.execute(
            select(ClinicalEvent.id, ClinicalEvent.episode_id, ClinicalEvent.details).where(
                ClinicalEvent.event_type == EventType.ACUTE_GVHD
            )
        ).all()
        onsets = {
            a.event_id: a
            for a in conn.execute(
                select(MonitoringAlert).where(
                    MonitoringAlert.rule_id == "acute-gvhd-grade", MonitoringAlert.event_id.is_not(None)
                )
            ).all()
        }
    assert events, "the demo cohort records no acute GVHD"
    for event in events:
        alert = onsets[event.id]
        assert alert.episode_id == event.episode_id
        assert alert.details["event"]["details"] == {k: event.details[k] for k in keys}, event.id
