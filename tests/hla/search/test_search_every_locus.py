"""Donor search over every typed locus (issue 13 points 1-4): DRB3/4/5 and DQA1 kept and reported, honest
n/10 and n/12, grades and confidences in the answer, null alleles and '|' genotype lists through the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engraft.api.donor_search_schemas import DonorSearchResult
from engraft.hla import LocusStatus, MatchConfidence, MatchGrade, Nomenclature
from engraft.hla.search import DonorMatch, DonorSearch, SearchCriteria, patient_typing, search_report
from engraft.hla.search.donor_store import DonorStore
from engraft.io.donor_files import import_json
from engraft.vocabulary.hla import REPORTED_LOCI, STORED_LOCI, Locus

HLA = {
    "A": ["A*01:01:01:01", "A*02:01:01:01"],
    "B": ["B*07:02:01:01", "B*08:01:01:01"],
    "C": ["C*07:01:01:01", "C*07:02:01:01"],
    "DRB1": ["DRB1*15:01:01:01", "DRB1*03:01:01:01"],
    "DQB1": ["DQB1*06:02:01:01", "DQB1*02:01:01:01"],
    "DPB1": ["DPB1*04:01:01:01", "DPB1*02:01:02:01"],
    "DRB3": ["DRB3*01:01:02:01", "DRB3*01:01:02:01"],
    "DRB5": ["DRB5*01:01:01:01", "DRB5*01:01:01:01"],
    "DQA1": ["DQA1*01:02:01:01", "DQA1*05:01:01:01"],
}
PATIENT = "^".join(f"{a}+{b}" for a, b in HLA.values())
LISTED = "A*01:01+A*03:01|A*01:01+A*02:01^" + "^".join(f"{a}+{b}" for k, (a, b) in HLA.items() if k != "A")


def _donor(did: int, hla: dict[str, list[str]] | None = None, **over: list[str]) -> dict[str, object]:
    typing = {**HLA, **over} if hla is None else hla
    return {"donor_id": did, "birth_year": 1995, "sex": "M", "cmv": "neg", "registry": "R1", "hla": typing}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, nom: Nomenclature) -> DonorStore:
    abd = {k: HLA[k] for k in ("A", "B", "DRB1")}
    donors = [
        _donor(1),  # every locus typed and matched
        _donor(2, hla=abd),  # A, B, DRB1 only: 6/6 typed, never 10/10
        _donor(3, DRB3=["DRB3*02:02:01:01", "DRB3*02:02:01:01"], DQA1=["DQA1*01:02:01:01", "DQA1*01:01:01:01"]),
        _donor(4, DPB1=["DPB1*04:01:01:01", "DPB1*09:01:01:01"]),  # 10/10, 11/12
        _donor(5, A=["A*01:01:01:01", "A*03:129N"]),  # a null in A*03:01:01G's group: GvH-only mismatch
        {"donor_id": 6, "birth_year": 1995, "registry": "R1", "gl": LISTED},  # a '|' genotype list at A
    ]
    path = tmp_path_factory.mktemp("every-locus") / "donors.json"
    path.write_text(json.dumps(donors))
    created = DonorStore.create(path.parent / "store", release=nom.release)
    report = import_json(created, nom, path)
    assert report.stored == 6, report.invalid
    return created


def _search(store: DonorStore, nom: Nomenclature, gl: str = PATIENT, mismatches: int = 2) -> dict[int, DonorMatch]:
    result = DonorSearch(store, nom).search(
        patient_typing(nom, gl), SearchCriteria(max_mismatches=mismatches, reference_year=2026)
    )
    return {d.donor_id: d for d in result.donors}


def test_every_typed_locus_is_kept_in_the_store(store: DonorStore) -> None:
    assert set(store.dictionaries) == set(STORED_LOCI)
    for locus in REPORTED_LOCI:
        if locus is not Locus.DRB4:
            assert len(store.dictionaries[locus]) > 1, f"{locus} was dropped"


def test_ten_of_ten_only_when_all_five_loci_typed_and_matched(store: DonorStore, nom: Nomenclature) -> None:
    found = _search(store, nom)
    assert found[1].match_label == "10/10" and found[1].counts.full_match
    partial = found[2]
    assert partial.match_label == "6/6 typed (C, DQB1 untyped)"
    assert not partial.counts.full_match and partial.counts.typed == 6
    assert "6/6 typed of 10" in partial.reason
    assert partial.locus_counts[Locus.C].status is LocusStatus.DONOR_UNTYPED
    assert partial.counts_with_dpb1.label == "6/6 typed (C, DQB1, DPB1 untyped)"


def test_twelve_of_twelve_with_dpb1_and_tce(store: DonorStore, nom: Nomenclature) -> None:
    found = _search(store, nom)
    assert found[1].counts_with_dpb1.label == "12/12"
    dp = found[4]
    assert dp.match_label == "10/10"
    assert dp.counts_with_dpb1.label == "11/12"
    assert dp.dpb1_tce is not None  # permissiveness with direction, as before


def test_drb345_and_dqa1_status_is_reported_never_counted(store: DonorStore, nom: Nomenclature) -> None:
    found = _search(store, nom)
    same = found[1]
    assert set(same.reported_loci) == {Locus.DRB3, Locus.DRB5, Locus.DQA1}
    assert all(m.mismatch_count == 0 for m in same.reported_loci.values())
    assert same.locus_counts[Locus.DRB4].status is LocusStatus.UNTYPED
    other = found[3]
    assert other.match_label == "10/10"  # DRB3 and DQA1 mismatches do not count in 10/10
    assert other.reported_loci[Locus.DRB3].mismatch_count == 2
    assert other.reported_loci[Locus.DQA1].mismatch_count == 1
    assert other.locus_counts[Locus.DRB3].status is LocusStatus.MISMATCHED


def test_positions_carry_atlas_grade_and_confidence(store: DonorStore, nom: Nomenclature) -> None:
    same = _search(store, nom)[1]
    for locus_match in same.loci.values():
        for pos in locus_match.positions:
            assert pos.grade is MatchGrade.GDNA or pos.grade is MatchGrade.CDNA or pos.grade is MatchGrade.PROTEIN
            assert pos.confidence is MatchConfidence.DEFINITE


def test_null_allele_donor_is_graded_expressing_vs_null(store: DonorStore, nom: Nomenclature) -> None:
    found = _search(store, nom)
    null_donor = found[5]
    assert null_donor.match_label == "9/10"
    a = null_donor.loci[Locus.A]
    assert a.gvh_count == 1 and a.hvg_count == 0
    null_pos = next(p for p in a.positions if p.donor_token == "A*03:129N")
    assert null_pos.grade is MatchGrade.EXPRESSING_VS_NULL


def test_null_allele_patient_reverse_direction(store: DonorStore, nom: Nomenclature) -> None:
    gl = PATIENT.replace("A*01:01:01:01+A*02:01:01:01", "A*01:01:01:01+A*03:129N")
    found = _search(store, nom, gl)
    a = found[1].loci[Locus.A]  # donor 1 carries A*02:01, absent from the patient
    assert (a.gvh_count, a.hvg_count) == (0, 1)
    assert any(p.grade is MatchGrade.EXPRESSING_VS_NULL and p.patient_token == "A*03:129N" for p in a.positions)


def test_genotype_list_donor_is_found_with_its_ambiguity(store: DonorStore, nom: Nomenclature) -> None:
    listed = _search(store, nom, mismatches=0)[6]
    a = listed.loci[Locus.A]
    assert a.mismatch_count == 0
    assert a.ambiguity is not None
    assert (a.ambiguity.donor_genotypes, a.ambiguity.best_mismatches, a.ambiguity.worst_mismatches) == (2, 0, 1)
    assert listed.counts.potential == 2 and listed.match_label == "10/10 (2 potential)"


def test_genotype_list_patient_is_searchable(store: DonorStore, nom: Nomenclature) -> None:
    gl = PATIENT.replace("A*01:01:01:01+A*02:01:01:01", "A*01:01+A*03:01|A*01:01+A*02:01")
    found = _search(store, nom, gl, mismatches=0)
    assert 1 in found and found[1].loci[Locus.A].ambiguity is not None
    assert found[1].loci[Locus.A].ambiguity.patient_genotypes == 2


def test_the_api_answer_carries_the_new_fields(store: DonorStore, nom: Nomenclature) -> None:
    result = DonorSearch(store, nom).search(patient_typing(nom, PATIENT), SearchCriteria(max_mismatches=2))
    answer = DonorSearchResult.model_validate(
        {**search_report(result), "release": nom.release, "donors_in_registry": 6, "prediction_available": False}
    )
    first = next(d for d in answer.donors if d.donor_id == 2)
    assert first.counts.label == "6/6 typed (C, DQB1 untyped)" and not first.counts.full_match
    assert first.locus_counts["C"].status is LocusStatus.DONOR_UNTYPED
    assert next(d for d in answer.donors if d.donor_id == 1).reported_loci["DQA1"].mismatch_count == 0


def _make_old_store(store_dir: Path, loci: list[str]) -> None:
    """Rewrite a store as one written before DRB3/4/5 and DQA1 were kept."""
    manifest = json.loads((store_dir / "manifest.json").read_text())
    manifest["loci"] = loci
    manifest["dictionaries"] = {k: v for k, v in manifest["dictionaries"].items() if k in loci}
    for seg in manifest["segments"]:
        for locus in REPORTED_LOCI:
            (store_dir / seg["name"] / f"hla_{locus}.npy").unlink()
    (store_dir / "manifest.json").write_text(json.dumps(manifest))


def test_a_store_written_before_opens_with_those_loci_untyped(tmp_path: Path, nom: Nomenclature) -> None:
    path = tmp_path / "donors.json"
    path.write_text(json.dumps([_donor(1), _donor(2)]))
    store_dir = tmp_path / "store"
    import_json(DonorStore.create(store_dir, release=nom.release), nom, path)
    _make_old_store(store_dir, ["A", "B", "C", "DRB1", "DQB1", "DPB1"])
    old = DonorStore.open(store_dir)
    found = _search(old, nom)
    assert found[1].match_label == "10/10" and found[1].reported_loci == {}
    assert found[1].locus_counts[Locus.DQA1].status is LocusStatus.DONOR_UNTYPED
    # the next write records every locus; new donors keep theirs
    more = tmp_path / "more.json"
    more.write_text(json.dumps([_donor(3)]))
    import_json(old, nom, more)
    reopened = DonorStore.open(store_dir)
    assert json.loads((store_dir / "manifest.json").read_text())["loci"] == [str(x) for x in STORED_LOCI]
    assert set(_search(reopened, nom)[3].reported_loci) == {Locus.DRB3, Locus.DRB5, Locus.DQA1}


def test_a_store_naming_an_unknown_locus_is_refused_clearly(tmp_path: Path, nom: Nomenclature) -> None:
    store_dir = tmp_path / "store"
    DonorStore.create(store_dir, release=nom.release)
    manifest = json.loads((store_dir / "manifest.json").read_text())
    manifest["loci"] = [*manifest["loci"], "DPA1"]
    (store_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="'DPA1'"):
        DonorStore.open(store_dir)
