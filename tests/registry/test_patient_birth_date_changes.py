"""A committed change of a patient's birth date (the age at day 0 the monitoring rules read) is announced on the
episode-change hooks, once per episode of the patient; a patient edit that leaves the birth date as it was, a change
rolled back and a change inside a batch announce nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from engraft.registry.database import make_session_factory
from engraft.registry.episode_changes import EpisodeChanged
from engraft.registry.errors import InvalidRecord
from engraft.registry.schemas.episode import EpisodeIn
from engraft.registry.schemas.patient import CentreIn, PatientIn, PatientOut, PatientUpdate
from engraft.registry.service import RegistryService

BIRTH_DATE = frozenset({"birth_date"})


def _patient_with_episodes(service: RegistryService, born: str, day0s: list[str]) -> tuple[PatientOut, list[int]]:
    if not service.list_centres():
        service.create_centre(CentreIn(code="C1", name="One", country="GB"))
    patient = service.create_patient(PatientIn(centre="C1", sex="female", birth_date=born))  # type: ignore[arg-type]
    episodes = [
        service.create_episode(
            EpisodeIn(
                patient_id=patient.id,
                centre="C1",
                transplant_type="autologous",  # type: ignore[arg-type]
                graft_source="peripheral blood",  # type: ignore[arg-type]
                day0=day0,  # type: ignore[arg-type]
            )
        ).id
        for day0 in day0s
    ]
    return patient, episodes


def test_a_birth_date_change_announces_every_episode_of_the_patient(
    service: RegistryService, changes: list[EpisodeChanged]
) -> None:
    child, (first, second) = _patient_with_episodes(service, "2014-03-01", ["2024-05-01", "2025-02-01"])
    other, _ = _patient_with_episodes(service, "2012-03-01", ["2024-06-01"])
    corrected = service.update_patient(child.id, PatientUpdate(version=1, birth_date=dt.date(1984, 3, 1)))
    assert corrected.birth_date == dt.date(1984, 3, 1) and corrected.version == 2
    assert changes == [EpisodeChanged(child.id, first, BIRTH_DATE), EpisodeChanged(child.id, second, BIRTH_DATE)]
    assert other.id not in {c.patient_id for c in changes}


def test_a_patient_edit_that_keeps_the_birth_date_announces_nothing(
    service: RegistryService, changes: list[EpisodeChanged]
) -> None:
    patient, _ = _patient_with_episodes(service, "2014-03-01", ["2024-05-01"])
    service.update_patient(patient.id, PatientUpdate(version=1, weight_kg=31.5))
    service.update_patient(patient.id, PatientUpdate(version=2, birth_date=dt.date(2014, 3, 1)))  # as it was
    assert changes == []


def test_a_patient_without_an_episode_announces_nothing(
    service: RegistryService, changes: list[EpisodeChanged]
) -> None:
    patient, _ = _patient_with_episodes(service, "2014-03-01", [])
    service.update_patient(patient.id, PatientUpdate(version=1, birth_date=dt.date(1984, 3, 1)))
    assert changes == []


def test_a_refused_birth_date_announces_nothing(service: RegistryService, changes: list[EpisodeChanged]) -> None:
    patient, _ = _patient_with_episodes(service, "2014-03-01", ["2024-05-01"])
    with pytest.raises(InvalidRecord):  # after the episode's day 0
        service.update_patient(patient.id, PatientUpdate(version=1, birth_date=dt.date(2024, 6, 1)))
    assert changes == []
    assert service.get_patient(patient.id).birth_date == dt.date(2014, 3, 1)


class CommitFailed(Exception):
    pass


def test_a_birth_date_change_rolled_back_announces_nothing(engine: Engine, changes: list[EpisodeChanged]) -> None:
    """The change is made and flushed, then the commit fails: rolled back, nothing is announced."""
    sessions = make_session_factory(engine)
    service = RegistryService(sessions, actor="test")
    patient, _ = _patient_with_episodes(service, "2014-03-01", ["2024-05-01"])

    def fail(_session: Session) -> None:
        raise CommitFailed

    event.listen(sessions, "before_commit", fail)
    try:
        with pytest.raises(CommitFailed):
            service.update_patient(patient.id, PatientUpdate(version=1, birth_date=dt.date(1984, 3, 1)))
    finally:
        event.remove(sessions, "before_commit", fail)
    assert changes == []
    assert service.get_patient(patient.id).birth_date == dt.date(2014, 3, 1)


def test_a_birth_date_change_in_a_batch_is_not_announced(
    service: RegistryService, changes: list[EpisodeChanged]
) -> None:
    """As an episode change in a batch: not committed when the call returns; the batch's caller evaluates."""
    patient, _ = _patient_with_episodes(service, "2014-03-01", ["2024-05-01"])
    with service.batch() as batch:
        batch.update_patient(patient.id, PatientUpdate(version=1, birth_date=dt.date(1984, 3, 1)))
        assert changes == []
    assert changes == []
    assert service.get_patient(patient.id).birth_date == dt.date(1984, 3, 1)
