"""How many SQL statements a read issues: a page costs the same few statements whatever its size.

A page of patients used to issue one query per patient (the identity record, loaded only to be
dropped): 53 statements for 50 patients. These tests count what reaches the database cursor, so a
regression to a lazy load per row fails here. Transaction control (``BEGIN``, which the SQLite
engine issues itself) is not counted. A patient read also writes its one audit entry (an identifying
read is never silent); that INSERT is counted apart, in ``audit_entries``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, event

from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.errors import RecordNotFound
from engraft.registry.observations import add_observation_inputs
from engraft.registry.patient_record import read_patient_record
from engraft.registry.schemas.clinical import EventIn, FollowUpIn, ObservationIn
from engraft.registry.schemas.donor import DonorIn, MarkerIn
from engraft.registry.schemas.episode import ConditioningAgentIn, EpisodeIn
from engraft.registry.schemas.patient import CentreIn, IdentityIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.vocabulary import (
    DonorRelation,
    EventType,
    GraftSource,
    MarkerResult,
    MarkerTest,
    Sex,
    TransplantType,
    VitalStatus,
)
from tests.database_templates import DatabaseTemplates

PATIENTS = 60


class Sent(list[str]):
    """Statements sent, and how many of them wrote an audit entry (kept out of the list)."""

    audit_entries = 0


@contextmanager
def statements(engine: Engine) -> Iterator[Sent]:
    """The SQL statements sent to the database inside the block (transaction control and audit writes left out)."""
    seen = Sent()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO audit_entry"):
            seen.audit_entries += 1
        elif statement.split(None, 1)[0].upper() not in {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@dataclass(frozen=True)
class Registry:
    engine: Engine
    service: RegistryService
    ids: dict[str, list[int]]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def registry(request: pytest.FixtureRequest, database_templates: DatabaseTemplates) -> Iterator[Registry]:
    """Read-only for the tests of this module, so built once per database."""
    with database_templates.copy(request.param) as url:
        engine = make_engine(url)
        service = RegistryService(make_session_factory(engine), actor="test")
        yield Registry(engine, service, fill(service))
        engine.dispose()


def fill(service: RegistryService) -> dict[str, list[int]]:
    """60 patients (all but the last with identity), each with an episode (two agents, a donor), event, visit, lab."""
    ids: dict[str, list[int]] = {"patient": [], "episode": [], "donor": []}
    observations: list[ObservationIn] = []
    with service.batch() as batch:
        batch.create_centre(CentreIn(code="C1", name="Centre One", country="GB"))
        batch.create_centre(CentreIn(code="C2", name="Centre Two", country="FR"))
        for i in range(PATIENTS):
            centre = "C1" if i % 3 else "C2"
            patient = batch.create_patient(
                PatientIn(
                    centre=centre,
                    sex=Sex.FEMALE if i % 2 else Sex.MALE,
                    birth_date=dt.date(1960 + i % 40, 1 + i % 12, 1),
                    identity=None
                    if i == PATIENTS - 1
                    else IdentityIn(given_name=f"Given{i}", family_name=f"Family{i}", mrn=f"MRN-{i}"),
                )
            )
            donor = batch.create_donor(
                DonorIn(
                    donor_code=f"D-{i}",
                    relation=DonorRelation.MATCHED_UNRELATED,
                    markers=[
                        MarkerIn(
                            test=MarkerTest.HBSAG, result=MarkerResult.NON_REACTIVE, result_date=dt.date(2024, 1, 2)
                        )
                    ],
                )
            )
            episode = batch.create_episode(
                EpisodeIn(
                    patient_id=patient.id,
                    centre=centre,
                    transplant_type=TransplantType.ALLOGENEIC,
                    graft_source=GraftSource.PERIPHERAL_BLOOD,
                    day0=dt.date(2024, 3, 1),
                    donor_ids=[donor.id],
                    conditioning=[
                        ConditioningAgentIn(drug="fludarabine", total_dose=150, unit="mg/m2"),
                        ConditioningAgentIn(drug="melphalan", total_dose=140, unit="mg/m2"),
                    ],
                )
            )
            batch.create_event(
                EventIn(
                    patient_id=patient.id,
                    episode_id=episode.id,
                    event_type=EventType.NEUTROPHIL_ENGRAFTMENT,
                    event_date=dt.date(2024, 3, 15),
                )
            )
            batch.create_follow_up(
                FollowUpIn(
                    patient_id=patient.id,
                    episode_id=episode.id,
                    visit_date=dt.date(2024, 6, 1),
                    vital_status=VitalStatus.ALIVE,
                )
            )
            observation = ObservationIn(
                patient_id=patient.id,
                episode_id=episode.id,
                observed_at=dt.datetime(2024, 3, 2, 8, tzinfo=dt.UTC),
                loinc="718-7",
                value=10.5,
                unit="g/dL",
                source_id=f"lab-{i}",
            )
            observations.append(observation)
            ids["patient"].append(patient.id)
            ids["episode"].append(episode.id)
            ids["donor"].append(donor.id)
    add_observation_inputs(service, observations)
    return ids


@pytest.mark.parametrize(
    "include_identity", [pytest.param(False, id="pseudonymous"), pytest.param(True, id="identity")]
)
def test_a_page_of_fifty_patients_is_one_statement(registry: Registry, include_identity: bool) -> None:
    with statements(registry.engine) as seen:
        page = registry.service.list_patients(limit=50, include_identity=include_identity)
    assert len(page.items) == 50
    assert page.total == PATIENTS
    assert len(seen) == 1, seen  # the total comes with the page
    assert seen.audit_entries == 1  # one entry for the whole page
    identities = [p.identity for p in page.items]
    if include_identity:
        assert [i.mrn if i else None for i in identities] == [f"MRN-{i}" for i in range(50)]
    else:
        assert identities == [None] * 50


def test_the_last_page_is_one_statement(registry: Registry) -> None:
    with statements(registry.engine) as seen:
        page = registry.service.list_patients(limit=50, offset=50)
    assert [p.id for p in page.items] == registry.ids["patient"][50:]
    assert page.total == PATIENTS
    assert len(seen) == 1, seen
    assert seen.audit_entries == 1


@pytest.mark.parametrize(
    ("offset", "expected_total", "statements_sent"),
    [
        pytest.param(0, PATIENTS, 1, id="first-page"),
        pytest.param(PATIENTS - 1, PATIENTS, 1, id="last-row"),
        pytest.param(PATIENTS, PATIENTS, 2, id="just-past-the-end"),
        pytest.param(PATIENTS + 100, PATIENTS, 2, id="far-past-the-end"),
    ],
)
def test_total_is_right_at_every_boundary(
    registry: Registry, offset: int, expected_total: int, statements_sent: int
) -> None:
    with statements(registry.engine) as seen:
        page = registry.service.list_patients(limit=50, offset=offset)
    assert page.total == expected_total
    assert len(page.items) == max(0, min(50, PATIENTS - offset))
    assert len(seen) == statements_sent, seen  # past the end no row carries the count: one more query
    assert seen.audit_entries == (1 if page.items else 0)  # an empty page hands out nothing


def test_a_centre_filter_stays_one_page_query(registry: Registry) -> None:
    with statements(registry.engine) as seen:
        page = registry.service.list_patients(limit=10, centre="C2")
    assert {p.centre for p in page.items} == {"C2"}
    assert page.total == PATIENTS // 3
    assert len(seen) == 1, seen
    assert seen.audit_entries == 1
    assert registry.service.list_patients(centre="nowhere").total == 0


@pytest.mark.parametrize(
    "include_identity", [pytest.param(False, id="pseudonymous"), pytest.param(True, id="identity")]
)
def test_one_patient_is_one_statement(registry: Registry, include_identity: bool) -> None:
    pid = registry.ids["patient"][7]
    with statements(registry.engine) as seen:
        patient = registry.service.get_patient(pid, include_identity=include_identity)
    assert len(seen) == 1, seen
    assert seen.audit_entries == 1
    assert patient.centre == "C1"
    assert (patient.identity.mrn if patient.identity else None) == ("MRN-7" if include_identity else None)


def test_a_patient_without_identity_reads_as_none(registry: Registry) -> None:
    last = registry.ids["patient"][-1]
    assert registry.service.get_patient(last, include_identity=True).identity is None
    page = registry.service.list_patients(limit=50, offset=PATIENTS - 2, include_identity=True)
    assert [p.identity.mrn if p.identity else None for p in page.items] == [f"MRN-{PATIENTS - 2}", None]


def test_an_unknown_patient_is_not_found(registry: Registry) -> None:
    with pytest.raises(RecordNotFound):
        registry.service.get_patient(max(registry.ids["patient"]) + 1000)


def test_one_episode_and_one_donor_are_one_statement_each(registry: Registry) -> None:
    with statements(registry.engine) as seen:
        episode = registry.service.get_episode(registry.ids["episode"][3])
    assert len(seen) == 1, seen
    assert [a.drug for a in episode.conditioning] == ["fludarabine", "melphalan"]
    assert episode.donor_ids == [registry.ids["donor"][3]]
    with statements(registry.engine) as seen:
        donor = registry.service.get_donor(registry.ids["donor"][3])
    assert len(seen) == 1, seen
    assert [m.test for m in donor.markers] == [MarkerTest.HBSAG]


@pytest.mark.parametrize(
    ("listing", "most"),
    [
        pytest.param("list_episodes", 4, id="episodes: page, conditioning, donors, count"),
        pytest.param("list_donors", 3, id="donors: page, markers, count"),
        pytest.param("list_events", 2, id="events"),
        pytest.param("list_follow_ups", 2, id="follow-ups"),
        pytest.param("list_diagnoses", 2, id="diagnoses"),
        pytest.param("list_observations", 2, id="observations"),
    ],
)
def test_other_pages_cost_the_same_whatever_their_size(registry: Registry, listing: str, most: int) -> None:
    for limit in (1, 50):
        with statements(registry.engine) as seen:
            getattr(registry.service, listing)(limit=limit)
        assert len(seen) <= most, (limit, seen)


def test_episode_page_carries_its_collections(registry: Registry) -> None:
    page = registry.service.list_episodes(limit=50)
    assert page.total == PATIENTS
    assert all([a.drug for a in e.conditioning] == ["fludarabine", "melphalan"] for e in page.items)
    assert [e.donor_ids for e in page.items] == [[d] for d in registry.ids["donor"][:50]]
    assert all(e.centre in {"C1", "C2"} for e in page.items)


@pytest.mark.parametrize(
    "include_identity", [pytest.param(False, id="pseudonymous"), pytest.param(True, id="identity")]
)
def test_a_whole_patient_record_is_one_statement_per_table_on_one_connection(
    registry: Registry, include_identity: bool
) -> None:
    """The patient page's read: patient, diagnoses, episodes (with agents and donor links), events, visits,
    assessments, donors (with markers), observations: 8 statements on one connection; audited once, apart."""
    pid = registry.ids["patient"][5]
    checkouts: list[object] = []

    def checked_out(*_args: object) -> None:
        checkouts.append(_args)

    event.listen(registry.engine, "checkout", checked_out)
    try:
        with statements(registry.engine) as seen:
            record = read_patient_record(registry.service, pid, include_identity, {"718-7"})
    finally:
        event.remove(registry.engine, "checkout", checked_out)
    assert len(seen) == 8, seen
    assert seen.audit_entries == 1
    # PostgreSQL: the audit entry autocommits on the reads' connection; SQLite: a write transaction of its own
    assert len(checkouts) == (1 if registry.engine.dialect.name == "postgresql" else 2)
    assert record.patient.id == pid
    assert (record.patient.identity.mrn if record.patient.identity else None) == ("MRN-5" if include_identity else None)
    (episode,) = record.episodes
    assert [a.drug for a in episode.conditioning] == ["fludarabine", "melphalan"]
    assert episode.donor_ids == [registry.ids["donor"][5]]
    assert list(record.donors) == [registry.ids["donor"][5]]
    assert [m.test for m in record.donors[registry.ids["donor"][5]].markers] == [MarkerTest.HBSAG]
    assert [e.event_type for e in record.events] == [EventType.NEUTROPHIL_ENGRAFTMENT]
    assert [v.vital_status for v in record.visits] == [VitalStatus.ALIVE]
    assert record.assessments == [] and record.diagnoses == []
    assert [(o.loinc, o.value, o.observed_at) for o in record.observations] == [
        ("718-7", 10.5, dt.datetime(2024, 3, 2, 8, tzinfo=dt.UTC))
    ]


def test_a_record_of_no_patient_is_not_found_and_not_audited(registry: Registry) -> None:
    with statements(registry.engine) as seen, pytest.raises(RecordNotFound):
        read_patient_record(registry.service, max(registry.ids["patient"]) + 1000, True, {"718-7"})
    assert len(seen) == 1 and seen.audit_entries == 0
