"""The donor search page's view: per-locus detail and why each donor ranks where it does."""

from __future__ import annotations

from pathlib import Path

import pytest

from engraft.demo.donor_registry import GeneratorConfig, generate_registry
from engraft.demo.haplotypes import demo_hf_set
from engraft.hla.nomenclature import Nomenclature
from engraft.hla.search.donor_search import DonorSearch, patient_typing
from engraft.hla.search.donor_store import DonorStore
from engraft.hla.search.search_models import SearchCriteria, SearchResult
from engraft.vocabulary import AboGroup, DonorKind, Serostatus
from engraft.vocabulary.hla import Locus
from engraft.web.pages.donor_search_view import (
    RANK_ATTRIBUTES,
    TypingFieldsError,
    gl_from_fields,
    search_view,
)

PATIENT = (
    "HLA-A*01:01+HLA-A*03:01^HLA-B*08:01+HLA-B*07:02^HLA-C*07:01+HLA-C*07:02"
    "^HLA-DRB1*03:01+HLA-DRB1*15:01^HLA-DQB1*02:01+HLA-DQB1*06:02"
)


@pytest.fixture(scope="module")
def engine(imgt_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> DonorSearch:
    nom = Nomenclature.load(imgt_dir)
    path = tmp_path_factory.mktemp("donors") / "store"
    store = DonorStore.create(path, release=nom.release)
    generate_registry(store, nom, demo_hf_set(nom), GeneratorConfig(n_donors=3000, seed=11))
    return DonorSearch(DonorStore.open(path), nom, hf=demo_hf_set(nom))


def _search(engine: DonorSearch, criteria: SearchCriteria) -> SearchResult:
    return engine.search(patient_typing(engine.nom, PATIENT), criteria)


ADULTS = SearchCriteria(
    max_mismatches=2, limit=25, patient_cmv=Serostatus.NEGATIVE, patient_abo=AboGroup.A, predict_top=3
)


def test_each_donor_lists_its_ranking_attributes_in_order(engine: DonorSearch) -> None:
    result = _search(engine, ADULTS)
    assert result.donors, "the demo registry has donors within two mismatches"
    assert all(len(d.rank_key) == len(RANK_ATTRIBUTES) for d in result.donors)
    view = search_view(result, ADULTS, release="3.58.0", donors_in_registry=3000, prediction_available=True)
    adult_keys = [a.key for a in RANK_ATTRIBUTES if a.applies.value in {"adult", "both"}]
    for donor in view.donors:
        assert [s.key for s in donor.steps] == adult_keys
        assert donor.steps[0].value == str(donor.mismatch_count)


def test_decided_by_is_the_first_attribute_that_differs_from_the_donor_above(engine: DonorSearch) -> None:
    result = _search(engine, ADULTS)
    view = search_view(result, ADULTS, release="3.58.0", donors_in_registry=3000, prediction_available=True)
    assert view.donors[0].decision is None and not view.donors[0].tied_with_above
    for above, donor, match, above_match in zip(
        view.donors, view.donors[1:], result.donors[1:], result.donors, strict=False
    ):
        assert donor.decision is not None, "donor ids differ, so some attribute always decides"
        index = next(i for i, (a, b) in enumerate(zip(match.rank_key, above_match.rank_key, strict=True)) if a != b)
        assert donor.decision.step.key == RANK_ATTRIBUTES[index].key
        assert donor.decision.above_rank == above.rank
        assert match.rank_key > above_match.rank_key


def test_per_locus_detail_and_dpb1(engine: DonorSearch) -> None:
    result = _search(engine, ADULTS)
    view = search_view(result, ADULTS, release="3.58.0", donors_in_registry=3000, prediction_available=True)
    assert view.shown_loci == ("A", "B", "C", "DRB1", "DQB1", "DPB1")
    donor = view.donors[0]
    assert [locus.locus for locus in donor.loci][:5] == ["A", "B", "C", "DRB1", "DQB1"]
    assert sum(locus.mismatches for locus in donor.loci if locus.locus != "DPB1") == donor.mismatch_count
    assert all(len(locus.positions) == 2 for locus in donor.loci)
    with_prediction = [d for d in view.donors if d.prediction is not None]
    assert with_prediction and len(with_prediction) <= 3


def test_cord_units_rank_on_cell_dose(engine: DonorSearch) -> None:
    criteria = SearchCriteria(max_mismatches=2, limit=10, donor_type=DonorKind.CORD, patient_weight_kg=20)
    result = _search(engine, criteria)
    if not result.donors:
        pytest.skip("no cord unit within two mismatches in this synthetic registry")
    view = search_view(result, criteria, release="3.58.0", donors_in_registry=3000, prediction_available=False)
    keys = [s.key for s in view.donors[0].steps]
    assert keys == ["mismatches", "potential", "tnc", "cd34", "donor_id"]
    assert view.donors[0].steps[2].value.endswith("×10⁷/kg")


@pytest.mark.parametrize(
    ("fields", "gl"),
    [
        pytest.param(
            {Locus.A: ("01:01", "A*03:01"), Locus.B: ("HLA-B*08:01", "07:02")},
            "HLA-A*01:01+HLA-A*03:01^HLA-B*08:01+HLA-B*07:02",
            id="three-spellings",
        ),
        pytest.param({Locus.DRB1: ("15:01", "")}, "HLA-DRB1*15:01+HLA-DRB1*15:01", id="blank-second-homozygous"),
        pytest.param({Locus.A: ("", ""), Locus.C: ("07:01", "07:02")}, "HLA-C*07:01+HLA-C*07:02", id="blank-locus"),
        pytest.param(
            {Locus.DPB1: ("04:01", "02:01"), Locus.A: ("01:01", "02:01")},
            "HLA-A*01:01+HLA-A*02:01^HLA-DPB1*04:01+HLA-DPB1*02:01",
            id="conventional-order",
        ),
    ],
)
def test_gl_from_fields(fields: dict[Locus, tuple[str, str]], gl: str) -> None:
    assert gl_from_fields(fields) == gl


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({Locus.A: ("", "01:01")}, "A: the first typing is blank", id="second-without-first"),
        pytest.param({Locus.A: ("B*08:01", "")}, "names locus 'B'", id="wrong-locus"),
        pytest.param({Locus.B: ("08:01/08:02", "")}, "is not one allele name", id="ambiguity"),
    ],
)
def test_gl_from_fields_refuses(fields: dict[Locus, tuple[str, str]], message: str) -> None:
    with pytest.raises(TypingFieldsError, match=message):
        gl_from_fields(fields)
