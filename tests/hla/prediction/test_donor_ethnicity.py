"""A donor's ethnicity is stored and chooses its haplotype-frequency set (issue 13, point 7).

The CSV column ``ethnicity`` (optional; ``ethn`` as Atlas spells it) and the Atlas donor file's ``ethn``
are kept in the donor store; match prediction then imputes each donor with the set of its
(registry, ethnicity), falling back as Atlas does (registry alone, then the global set).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from engraft.hla import Nomenclature
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, hf_set_from_atlas
from engraft.hla.prediction.set_selection import FrequencySetCatalogue
from engraft.hla.search import DonorSearch, SearchCriteria, patient_typing
from engraft.hla.search.donor_store import DonorStore
from engraft.io.donor_files import import_atlas_json, import_csv

H1 = {"a": "01:01:01G", "b": "08:01:01G", "c": "07:01:01G", "drb1": "03:01:01G", "dqb1": "02:01:01G"}
H2 = {"a": "02:01:01G", "b": "07:02:01G", "c": "07:02:01G", "drb1": "15:01:01G", "dqb1": "06:02:01G"}
PATIENT = "A*01:XX+A*02:XX^B*08:XX+B*07:XX^C*07:XX+C*07:XX^DRB1*03:XX+DRB1*15:XX^DQB1*02:XX+DQB1*06:XX"
TYPING = {
    "A_1": "A*01:XX", "A_2": "A*02:XX", "B_1": "B*08:01", "B_2": "B*07:02", "C_1": "C*07:01", "C_2": "C*07:02",
    "DRB1_1": "DRB1*03:01", "DRB1_2": "DRB1*15:01", "DQB1_1": "DQB1*02:01", "DQB1_2": "DQB1*06:02",
}  # fmt: skip


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=sorted({k for r in rows for k in r}))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _hf_set(nom: Nomenclature, name: str, ethn: str | None, pool: str | None, w: float) -> HaplotypeFrequencySet:
    rows = [{**H1, "frequency": w}, {**H2, "frequency": 1 - w}]
    data = {"nomenclatureVersion": "3.58.0", "donPool": pool, "ethn": ethn, "frequencies": rows}
    return hf_set_from_atlas(nom, data, name=name)


@pytest.fixture
def store(tmp_path: Path, nom: Nomenclature) -> DonorStore:
    rows = [
        {"donor_id": "1", "registry": "R1", "ethnicity": "EU", **TYPING},
        {"donor_id": "2", "registry": "R1", "ethnicity": "", **TYPING},  # not known
        {"donor_id": "3", "registry": "R1", "ethnicity": "AFA", **TYPING},  # no set of its own
        {"donor_id": "4", "registry": "R1", "ethn": "EU", **TYPING},  # Atlas's spelling
    ]
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    assert import_csv(store, nom, _write_csv(tmp_path / "d.csv", rows), progress=None).stored == 4
    return store


def _ethnicities(store: DonorStore) -> dict[int, str | None]:
    out: dict[int, str | None] = {}
    for seg in store.segments():
        ids = np.asarray(seg.columns["donor_id"])[seg.live]
        codes = np.asarray(seg.columns["ethnicity"])[seg.live]
        out.update({int(i): store.ethnicity_name(int(c)) for i, c in zip(ids, codes, strict=True)})
    return out


def test_the_csv_ethnicity_is_stored_and_survives_reopening_and_compaction(store: DonorStore) -> None:
    expected = {1: "EU", 2: None, 3: "AFA", 4: "EU"}
    assert _ethnicities(store) == expected
    again = DonorStore.open(store.root)
    assert _ethnicities(again) == expected
    again.remove([3])
    again.compact()
    assert _ethnicities(DonorStore.open(store.root)) == {1: "EU", 2: None, 4: "EU"}


def test_the_atlas_ethn_field_is_stored(tmp_path: Path, nom: Nomenclature) -> None:
    hla = {
        locus: {"Dna": {"Field1": first, "Field2": second}}
        for locus, first, second in (("A", "*01:01", "*02:01"), ("B", "*08:01", "*07:02"), ("DRB1", "*03:01", "*15:01"))
    }
    donors = [
        {"RecordId": 7, "ChangeType": "N", "DonorType": "D", "donPool": 1, "ethn": "ethnicity", "Hla": hla},
        {"RecordId": 8, "ChangeType": "N", "DonorType": "D", "donPool": 1, "Hla": hla},
    ]
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    assert import_atlas_json(store, nom, {"donors": donors}).stored == 2
    assert _ethnicities(store) == {7: "ethnicity", 8: None}


def test_a_store_written_before_the_column_reads_as_unknown(store: DonorStore) -> None:
    for seg in store.segments():
        (store.root / seg.name / "ethnicity.npy").unlink()
    assert set(_ethnicities(DonorStore.open(store.root)).values()) == {None}


def test_each_donor_is_imputed_with_its_ethnicity_set(store: DonorStore, nom: Nomenclature) -> None:
    catalogue = FrequencySetCatalogue([_hf_set(nom, "world", None, None, 0.5), _hf_set(nom, "europe", "EU", "R1", 0.9)])
    engine = DonorSearch(store, nom, hf=catalogue)
    criteria = SearchCriteria(max_mismatches=2, limit=10, predict_top=10)
    result = engine.search(patient_typing(nom, PATIENT), criteria)
    chosen = {}
    for d in result.donors:
        assert d.prediction is not None
        chosen[d.donor_id] = d.prediction.donor_frequency_set.split(";")[0]
    assert chosen == {1: "europe", 2: "world", 3: "world", 4: "europe"}
    # the donor's (registry, ethnicity) chose its set (Atlas: a set with an ethnicity names its registry)
    assert {d.prediction.patient_frequency_set.split(";")[0] for d in result.donors if d.prediction} == {"world"}
