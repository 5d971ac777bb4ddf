"""HLA typings stored in the registry are validated against the configured IMGT/HLA release, never stored unchecked."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine

from engraft.api.app import create_app
from engraft.hla.matching import typings_from_gl
from engraft.hla.nomenclature import Nomenclature
from engraft.registry.database import make_session_factory
from engraft.registry.errors import InvalidRecord
from engraft.registry.schemas.donor import DonorIn, DonorUpdate
from engraft.registry.schemas.patient import CentreIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.registry.typing_validation import hla_typing_validator
from tests.auth_clients import team_client


@pytest.fixture
def validating_service(engine: Engine, imgt_dir: Path) -> RegistryService:
    nomenclature = Nomenclature.load(imgt_dir)
    return RegistryService(make_session_factory(engine), typing_validator=partial(typings_from_gl, nomenclature))


@pytest.mark.parametrize(
    ("gl_string", "token"),
    [
        pytest.param("HLA-A*99:99+HLA-A*02:01", "A*99:99", id="unknown-allele"),
        pytest.param("HLA-A*01:01+HLA-B*07:02", "", id="two-loci-in-one-genotype"),
        pytest.param("HLA-A*01:01+HLA-A*02:01+HLA-A*03:01", "", id="three-alleles-at-a-locus"),
    ],
)
def test_invalid_donor_typing_is_refused(validating_service: RegistryService, gl_string: str, token: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        validating_service.create_donor(
            DonorIn(donor_code="D-X", relation="matched unrelated", hla_gl_string=gl_string)
        )
    problem = caught.value.problems[0]
    assert problem.field == "hla_gl_string" and problem.value == gl_string
    assert token in problem.expected
    assert validating_service.list_donors().total == 0


def test_valid_typings_are_stored(validating_service: RegistryService) -> None:
    gl = "HLA-A*01:01+HLA-A*02:01^HLA-B*08:01+HLA-B*44:02^HLA-DRB1*03:01+HLA-DRB1*15:01"
    donor = validating_service.create_donor(DonorIn(donor_code="D-OK", relation="matched unrelated", hla_gl_string=gl))
    assert donor.hla_gl_string == gl
    validating_service.create_centre(CentreIn(code="C1", name="One", country="GB"))
    patient = validating_service.create_patient(
        PatientIn(centre="C1", sex="male", birth_date="1980-01-01", hla_gl_string="HLA-A*01:01+HLA-A*03:01")
    )
    assert patient.hla_gl_string == "HLA-A*01:01+HLA-A*03:01"
    with pytest.raises(InvalidRecord):
        validating_service.create_patient(
            PatientIn(centre="C1", sex="male", birth_date="1980-01-01", hla_gl_string="HLA-A*01:9999")
        )


# --- without a configured release, typings are refused (never stored unchecked) ------------------------

GL = "HLA-A*01:01+HLA-A*02:01^HLA-B*08:01+HLA-B*44:02"


@pytest.fixture
def no_release(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ENGRAFT_IMGT_DIR and an empty cache: no release is configured."""
    monkeypatch.delenv("ENGRAFT_IMGT_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))


def _refusal(caught: pytest.ExceptionInfo[InvalidRecord], value: str) -> str:
    problem = caught.value.problems[0]
    assert problem.field == "hla_gl_string" and problem.value == value
    return problem.expected


@pytest.mark.usefixtures("no_release")
def test_without_release_typings_are_refused_and_other_records_stored(engine: Engine) -> None:
    service = RegistryService(make_session_factory(engine))  # default: the configured release, here none
    with pytest.raises(InvalidRecord) as caught:
        service.create_donor(DonorIn(donor_code="D-X", relation="matched unrelated", hla_gl_string=GL))
    expected = _refusal(caught, GL)
    assert "engraft hla install" in expected and "ENGRAFT_IMGT_DIR" in expected
    assert service.list_donors().total == 0

    service.create_centre(CentreIn(code="C1", name="One", country="GB"))
    with pytest.raises(InvalidRecord) as caught:
        service.create_patient(PatientIn(centre="C1", sex="male", birth_date="1980-01-01", hla_gl_string=GL))
    assert "engraft hla install" in _refusal(caught, GL)

    donor = service.create_donor(DonorIn(donor_code="D-NO-HLA", relation="matched unrelated"))
    patient = service.create_patient(PatientIn(centre="C1", sex="female", birth_date="1981-02-03"))
    assert donor.hla_gl_string is None and patient.hla_gl_string is None
    with pytest.raises(InvalidRecord) as caught:
        service.update_donor(donor.id, DonorUpdate(version=donor.version, hla_gl_string=GL))
    assert "engraft hla install" in _refusal(caught, GL)
    assert service.get_donor(donor.id).hla_gl_string is None


def test_a_misconfigured_release_directory_is_named(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ENGRAFT_IMGT_DIR", str(tmp_path / "no-such-release"))
    validator, release = hla_typing_validator()
    assert release is None
    service = RegistryService(make_session_factory(engine), typing_validator=validator)
    with pytest.raises(InvalidRecord) as caught:
        service.create_donor(DonorIn(donor_code="D-X", relation="matched unrelated", hla_gl_string=GL))
    assert "ENGRAFT_IMGT_DIR" in _refusal(caught, GL) and "no-such-release" in _refusal(caught, GL)


def test_the_configured_release_validates_by_default(
    engine: Engine, imgt_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGRAFT_IMGT_DIR", str(imgt_dir))
    service = RegistryService(make_session_factory(engine))
    assert service.create_donor(DonorIn(donor_code="D-1", relation="matched unrelated", hla_gl_string=GL))
    with pytest.raises(InvalidRecord) as caught:
        service.create_donor(
            DonorIn(donor_code="D-2", relation="matched unrelated", hla_gl_string="HLA-A*99:99+HLA-A*01:01")
        )
    assert "A*99:99" in _refusal(caught, "HLA-A*99:99+HLA-A*01:01")
    assert service.list_donors().total == 1


# --- the API: 422 naming the field without a release, health says which release is used ----------------


@pytest.mark.usefixtures("no_release")
def test_api_without_release_refuses_typings(engine: Engine) -> None:
    with team_client(create_app(engine, migrate=False)) as client:
        health = client.get("/api/health").json()
        assert "not configured" in health["hla_release"] and "engraft hla install" in health["hla_release"]
        refused = client.post(
            "/api/donors", json={"donor_code": "D-1", "relation": "matched unrelated", "hla_gl_string": GL}
        )
        assert refused.status_code == 422, refused.text
        problem = refused.json()["errors"][0]
        assert problem["field"] == "hla_gl_string" and "engraft hla install" in problem["expected"]
        stored = client.post("/api/donors", json={"donor_code": "D-2", "relation": "matched unrelated"})
        assert stored.status_code == 201, stored.text


def test_api_with_release_validates_typings(engine: Engine, imgt_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGRAFT_IMGT_DIR", str(imgt_dir))
    with team_client(create_app(engine, migrate=False)) as client:
        assert client.get("/api/health").json()["hla_release"] == "3.58.0"
        body = {"donor_code": "D-1", "relation": "matched unrelated", "hla_gl_string": GL}
        assert client.post("/api/donors", json=body).status_code == 201
        bad = {**body, "donor_code": "D-2", "hla_gl_string": "HLA-A*99:99+HLA-A*01:01"}
        refused = client.post("/api/donors", json=bad)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "hla_gl_string"


def test_api_without_hla_validation_refuses_typings(
    engine: Engine, imgt_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGRAFT_IMGT_DIR", str(imgt_dir))
    with team_client(create_app(engine, migrate=False, validate_hla=False)) as client:
        body = {"donor_code": "D-1", "relation": "matched unrelated", "hla_gl_string": GL}
        refused = client.post("/api/donors", json=body)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "hla_gl_string"
        assert "not configured" in client.get("/api/health").json()["hla_release"]
