"""HLA typings stored in the registry are validated against the configured IMGT/HLA release."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine

from engraft.hla.matching import typings_from_gl
from engraft.hla.nomenclature import Nomenclature
from engraft.registry.database import make_session_factory
from engraft.registry.errors import InvalidRecord
from engraft.registry.schemas.donor import DonorIn
from engraft.registry.schemas.patient import CentreIn, PatientIn
from engraft.registry.service import RegistryService


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
