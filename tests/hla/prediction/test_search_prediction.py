"""Match prediction inside a donor search: every donor answered, sets chosen per registry, loci excluded first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engraft.hla import Nomenclature
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, hf_set_from_atlas
from engraft.hla.prediction.imputation import GenotypeSource, UnexplainedReason
from engraft.hla.prediction.set_selection import FrequencySetCatalogue
from engraft.hla.search import DonorSearch, SearchCriteria, patient_typing
from engraft.hla.search.donor_store import DonorStore
from engraft.hla.search.search_models import DonorMatch
from engraft.io.donor_files import import_json

H1 = {"a": "01:01:01G", "b": "08:01:01G", "c": "07:01:01G", "drb1": "03:01:01G", "dqb1": "02:01:01G"}
H2 = {"a": "02:01:01G", "b": "07:02:01G", "c": "07:02:01G", "drb1": "15:01:01G", "dqb1": "06:02:01G"}
PATIENT = "A*01:XX+A*02:XX^B*08:XX+B*07:XX^C*07:XX+C*07:XX^DRB1*03:XX+DRB1*15:XX^DQB1*02:XX+DQB1*06:XX"
EIGHT = ("A", "B", "C", "DRB1")


def _hla(**over: list[str]) -> dict[str, list[str]]:
    hla = {
        "A": ["A*01:01", "A*02:01"],
        "B": ["B*08:01", "B*07:02"],
        "C": ["C*07:01", "C*07:02"],
        "DRB1": ["DRB1*03:01", "DRB1*15:01"],
        "DQB1": ["DQB1*02:01", "DQB1*06:02"],
    }
    return {**hla, **over}


DONORS = [
    {"donor_id": 1, "registry": "R1", "hla": _hla()},
    {"donor_id": 2, "registry": "R1", "hla": _hla(A=["A*01:01", "A*80:01"])},  # allele outside the set
    {"donor_id": 3, "registry": "R2", "hla": _hla(A=["A*01:XX", "A*02:XX"], DQB1=["DQB1*05:XX", "DQB1*06:02"])},
    {"donor_id": 4, "registry": "R2", "hla": _hla(A=["A*01:XX", "A*02:XX"])},
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, nom: Nomenclature) -> DonorSearch:
    path = tmp_path_factory.mktemp("predict") / "donors.json"
    path.write_text(json.dumps([{**d, "birth_year": 1990, "sex": "F", "cmv": "neg", "abo": "O"} for d in DONORS]))
    store = DonorStore.create(path.parent / "store", release=nom.release)
    assert import_json(store, nom, path).stored == len(DONORS)

    def hf_set(name: str, pool: str | None, w: float) -> HaplotypeFrequencySet:
        rows = [{**H1, "frequency": w}, {**H2, "frequency": 1 - w}]
        return hf_set_from_atlas(
            nom, {"nomenclatureVersion": "3.58.0", "donPool": pool, "frequencies": rows}, name=name
        )

    catalogue = FrequencySetCatalogue([hf_set("world", None, 0.5), hf_set("r2", "R2", 0.9)])
    return DonorSearch(store, nom, hf=catalogue)


def _by_id(engine: DonorSearch, criteria: SearchCriteria) -> dict[int, DonorMatch]:
    result = engine.search(patient_typing(engine.nom, PATIENT), criteria)
    return {d.donor_id: d for d in result.donors}


def test_every_donor_gets_an_answer(engine: DonorSearch) -> None:
    donors = _by_id(engine, SearchCriteria(max_mismatches=2, limit=10, predict_top=10))
    assert set(donors) == {1, 2, 3, 4}
    for d in donors.values():
        assert d.prediction is not None
    p1, p2, p3 = (donors[i].prediction for i in (1, 2, 3))
    assert p1 is not None and p1.donor_genotype is GenotypeSource.TYPED and p1.p_mismatches is not None
    assert p1.p_mismatches[0] == pytest.approx(1.0)  # the patient's only explanation is H1 + H2
    assert p2 is not None and p2.donor_genotype is GenotypeSource.TYPED and p2.p_mismatches is not None
    assert p2.p_mismatches[1] == pytest.approx(1.0)  # A*80:01 is in no haplotype, still certain
    assert p3 is not None and p3.p_mismatches is None and p3.donor_unrepresented
    assert p3.donor_unexplained is UnexplainedReason.ALLELE_NOT_IN_SET
    assert p3.donor_unexplained_tokens == ("DQB1*05:XX",)
    assert donors[3].mismatch_count == 1  # the matching result stands for the unexplained donor


def test_sets_are_chosen_by_the_donor_registry(engine: DonorSearch) -> None:
    donors = _by_id(engine, SearchCriteria(max_mismatches=2, limit=10, predict_top=10))
    p1, p4 = donors[1].prediction, donors[4].prediction
    assert p1 is not None and p1.patient_frequency_set.startswith("world")
    assert p4 is not None and p4.donor_frequency_set.startswith("r2")
    assert p4.patient_frequency_set.startswith("r2")  # the patient takes the donor's registry (Atlas)
    regional = _by_id(engine, SearchCriteria(max_mismatches=2, limit=10, predict_top=10, patient_registry="R1"))
    p4_r1, p1_r1 = regional[4].prediction, regional[1].prediction
    # R1 has no set: the patient's lookup ends at the global set and is retried under the donor's registry
    assert p4_r1 is not None and p4_r1.patient_frequency_set.startswith("r2")
    assert p1_r1 is not None and p1_r1.patient_frequency_set.startswith("world")


def test_loci_left_out_of_the_search_are_left_out_of_imputation(engine: DonorSearch) -> None:
    donors = _by_id(engine, SearchCriteria(loci=EIGHT, max_mismatches=2, limit=10, predict_top=10))
    p3 = donors[3].prediction
    assert p3 is not None and p3.loci == EIGHT
    assert p3.donor_genotype is GenotypeSource.IMPUTED and p3.p_mismatches is not None
    assert p3.p_mismatches[0] == pytest.approx(1.0)


def test_prediction_reaches_only_the_top_donors(engine: DonorSearch) -> None:
    donors = engine.search(patient_typing(engine.nom, PATIENT), SearchCriteria(max_mismatches=2, predict_top=2))
    assert [d.prediction is not None for d in donors.donors] == [True, True, False, False]


def test_search_without_frequencies_has_no_prediction(engine: DonorSearch) -> None:
    bare = DonorSearch(engine.store, engine.nom)
    donors = bare.search(patient_typing(engine.nom, PATIENT), SearchCriteria(max_mismatches=2, predict_top=4))
    assert all(d.prediction is None for d in donors.donors)


def test_predictions_follow_the_donors_after_compaction(tmp_path: Path, nom: Nomenclature) -> None:
    """Compaction renumbers the typing dictionaries: cached imputations must not answer for the wrong donor."""
    donors = [
        {"donor_id": 1, "registry": "R1", "hla": _hla(A=["A*03:01", "A*24:02"])},  # removed below
        {"donor_id": 2, "registry": "R1", "hla": _hla(A=["A*01:01", "A*80:01"])},
        {"donor_id": 3, "registry": "R1", "hla": _hla()},
    ]
    path = tmp_path / "d.json"
    path.write_text(json.dumps([{**d, "birth_year": 1990, "sex": "F", "cmv": "neg", "abo": "O"} for d in donors]))
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    import_json(store, nom, path)
    rows = [{**H1, "frequency": 0.5}, {**H2, "frequency": 0.5}]
    engine = DonorSearch(store, nom, hf=hf_set_from_atlas(nom, {"frequencies": rows}))
    criteria = SearchCriteria(max_mismatches=4, predict_top=3)
    patient = patient_typing(nom, PATIENT)

    def p0(result_donors: tuple[DonorMatch, ...]) -> dict[int, float]:
        out = {}
        for d in result_donors:
            assert d.prediction is not None and d.prediction.p_mismatches is not None
            out[d.donor_id] = d.prediction.p_mismatches[0]
        return out

    assert p0(engine.search(patient, criteria).donors) == {1: 0.0, 2: 0.0, 3: pytest.approx(1.0)}
    store.remove([1])
    store.compact()
    assert p0(engine.search(patient, criteria).donors) == {2: 0.0, 3: pytest.approx(1.0)}
