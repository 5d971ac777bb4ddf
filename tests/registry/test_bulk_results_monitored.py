"""Results loaded in bulk reach the monitoring engine as a feed's do: the result hooks are told after the commit,
per patient and episode, with the codes that came; never for a refused batch, a batch of re-sends only, or a
batch inside an outer transaction; and the API's bulk upload raises the alert its results call for."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from engraft.registry.errors import InvalidRecord
from engraft.registry.models import MonitoringAlert, Observation
from engraft.registry.monitoring_worker import start_monitoring
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.result_hooks import CommittedResults, ResultHooks
from engraft.registry.service import RegistryService
from tests.monitoring_waits import wait_for_evaluations

DAY0 = dt.datetime(2024, 5, 1, 6, tzinfo=dt.UTC)
ANC, PLATELETS = "751-8", "777-3"


def _row(
    seeded: dict[str, int], key: str, loinc: str = ANC, *, day: int = 2, value: float = 0.2, episode: bool = True
) -> ObservationRow:
    return ObservationRow(
        patient_id=seeded["patient"],
        episode_id=seeded["episode"] if episode else None,
        observed_at=DAY0 + dt.timedelta(days=day),
        loinc=loinc,
        value=value,
        unit="10*9/L",
        source="lab feed",
        source_id=key,
    )


class _Heard:
    """A result-hook listener that records what it is told and how many observations were committed then."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.told: list[CommittedResults] = []
        self.committed_then: list[int] = []
        self.hooks = ResultHooks()
        self.hooks.register(self)

    def __call__(self, results: CommittedResults) -> None:
        self.told.append(results)
        with self.engine.connect() as connection:  # another connection: sees only what was committed
            self.committed_then.append(connection.scalar(select(func.count()).select_from(Observation)) or 0)


def test_hooks_are_told_after_the_commit_per_patient_and_episode(
    service: RegistryService, seeded: dict[str, int], engine: Engine
) -> None:
    heard = _Heard(engine)
    rows = [
        _row(seeded, "a1"),
        _row(seeded, "a2", day=3),
        _row(seeded, "p1", PLATELETS, value=8.0),
        _row(seeded, "x1", PLATELETS, value=30.0, episode=False),
    ]
    assert add_observations(service, rows, hooks=heard.hooks).inserted == 4
    patient, episode = seeded["patient"], seeded["episode"]
    assert heard.told == [  # results of no episode first (their key sorts first), then the episode's
        CommittedResults(patient, None, (), (), None, frozenset({PLATELETS})),
        CommittedResults(patient, episode, (), (), None, frozenset({ANC, PLATELETS})),
    ]
    assert heard.committed_then == [4, 4]  # every listener call came after the four rows were committed


def test_a_batch_of_re_sends_tells_nothing_and_a_mixed_one_tells_every_code(
    service: RegistryService, seeded: dict[str, int], engine: Engine
) -> None:
    heard = _Heard(engine)
    first = [_row(seeded, "a1"), _row(seeded, "p1", PLATELETS, value=8.0)]
    add_observations(service, first, hooks=heard.hooks)
    heard.told.clear()
    assert add_observations(service, first, hooks=heard.hooks).inserted == 0
    assert heard.told == []  # nothing new: no evaluation asked for
    assert add_observations(service, [*first, _row(seeded, "a2", day=4)], hooks=heard.hooks).inserted == 1
    assert [r.loinc_codes for r in heard.told] == [frozenset({ANC, PLATELETS})]  # a re-sent code included


def test_a_refused_batch_tells_nothing(service: RegistryService, seeded: dict[str, int], engine: Engine) -> None:
    heard = _Heard(engine)
    unknown = ObservationRow(
        patient_id=seeded["patient"] + 1000,
        episode_id=None,
        observed_at=DAY0,
        loinc=ANC,
        value=0.2,
        unit="10*9/L",
        source="lab feed",
        source_id="nobody",
    )
    with pytest.raises(InvalidRecord):
        add_observations(service, [_row(seeded, "a1"), unknown], hooks=heard.hooks)
    assert heard.told == []
    assert heard.committed_then == []


def test_inside_an_outer_transaction_nothing_is_told(
    service: RegistryService, seeded: dict[str, int], engine: Engine
) -> None:
    heard = _Heard(engine)
    with service.batch() as importing:
        assert add_observations(importing, [_row(seeded, "a1")], hooks=heard.hooks).inserted == 1
        assert heard.told == []  # the outer transaction has not committed: no listener may hear of it
    assert heard.told == []  # nor after: that commit is the importer's
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Observation)) == 1


def test_a_bulk_upload_raises_its_alert_through_the_running_engine(
    client: TestClient, seeded: dict[str, int], service: RegistryService, engine: Engine
) -> None:
    worker, stop = start_monitoring(service, lambda: None)  # on the process's hooks, as the server runs it
    try:
        body = [
            {
                "patient_id": seeded["patient"],
                "episode_id": seeded["episode"],
                "observed_at": (DAY0 + dt.timedelta(days=2)).isoformat(),
                "loinc": ANC,
                "value": 0.2,
                "unit": "10*9/L",
                "source_id": "anc-day-2",
            }
        ]
        assert client.post("/api/observations/bulk", json=body).json()["inserted"] == 1
        wait_for_evaluations(worker)
    finally:
        stop()
    assert worker.evaluated == 1
    with engine.connect() as connection:
        rules = connection.scalars(
            select(MonitoringAlert.rule_id).where(MonitoringAlert.episode_id == seeded["episode"])
        )
        assert "anc-below-0-5" in set(rules)
