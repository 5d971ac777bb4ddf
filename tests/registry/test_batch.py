"""RegistryService.batch(): one outer transaction, all or nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from engraft.registry.errors import InvalidRecord
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.schemas.patient import CentreIn, PatientIn
from engraft.registry.service import RegistryService


class Abort(Exception):
    pass


def test_batch_rolls_back_everything_on_error(service: RegistryService) -> None:
    with pytest.raises(Abort), service.batch() as batch:
        batch.create_centre(CentreIn(code="C1", name="One", country="GB"))
        batch.create_patient(PatientIn(centre="C1", sex="male", birth_date="1980-01-01"))
        raise Abort
    assert service.list_centres() == []
    assert service.list_patients().total == 0


def test_failed_call_inside_batch_can_be_skipped(service: RegistryService) -> None:
    with service.batch() as batch:
        batch.create_centre(CentreIn(code="C1", name="One", country="GB"))
        with pytest.raises(InvalidRecord):
            batch.create_patient(PatientIn(centre="NOPE", sex="male", birth_date="1980-01-01"))
        batch.create_patient(PatientIn(centre="C1", sex="female", birth_date="1981-01-01"))
    assert service.list_patients().total == 1


def test_observations_twice_in_one_batch(service: RegistryService) -> None:
    service.create_centre(CentreIn(code="C1", name="One", country="GB"))
    patient = service.create_patient(PatientIn(centre="C1", sex="male", birth_date="1980-01-01"))
    at = dt.datetime(2024, 1, 1, 8, tzinfo=dt.UTC)

    def rows(start: int) -> list[ObservationRow]:
        return [
            ObservationRow(patient.id, None, at, "8867-4", 70.0 + i, "{beats}/min", "device", f"hr-{start + i}")
            for i in range(5)
        ]

    with service.batch() as batch:
        assert add_observations(batch, rows(0)).inserted == 5
        assert add_observations(batch, rows(5)).inserted == 5
    assert service.list_observations().total == 10
    with pytest.raises(InvalidRecord) as caught:
        add_observations(
            service, [ObservationRow(patient.id, None, at, "8867-4", 70.0, "{breaths}/min", "device", "x")]
        )
    assert caught.value.problems[0].field == "unit"
