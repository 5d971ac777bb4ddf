"""Batch search of a waiting list with Dask (small LocalCluster): same results as one-by-one search."""

from __future__ import annotations

from pathlib import Path

import pytest

from engraft.demo.donor_registry import GeneratorConfig, generate_registry
from engraft.hla import Nomenclature
from engraft.hla.search import DonorSearch, SearchCriteria, patient_typing
from engraft.hla.search.batch_search import WaitingListEntry, search_partition, search_waiting_list
from engraft.hla.search.donor_store import DonorStore
from engraft.io.donor_search_files import DonorSearchFiles
from engraft.io.haplotype_frequencies import load_atlas_hf_set

PATIENTS = [
    "A*01:01:01G+A*02:01:01G^B*08:01:01G+B*07:02:01G^C*07:01:01G+C*07:02:01G"
    "^DRB1*03:01:01G+DRB1*15:01:01G^DQB1*02:01:01G+DQB1*06:02:01G",
    "A*03:01+A*24:02^B*07:02+B*35:01^C*07:02+C*04:01^DRB1*15:01+DRB1*01:01^DQB1*06:02+DQB1*05:01",
    "A*02:XX+A*01:XX^B*44:XX+B*08:XX^C*05:XX+C*07:XX^DRB1*04:XX+DRB1*03:XX^DQB1*03:XX+DQB1*02:XX",
    "A*29:02:01G+A*29:02:01G^B*44:03:01G+B*44:03:01G^C*16:01:01G+C*16:01:01G"
    "^DRB1*07:01:01G+DRB1*07:01:01G^DQB1*02:01:01G+DQB1*02:01:01G",
]


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory, nom: Nomenclature, atlas_samples_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("batch") / "store"
    hf = load_atlas_hf_set(nom, atlas_samples_dir / "hf-set-301.json")
    generate_registry(
        DonorStore.create(root, release=nom.release), nom, hf, GeneratorConfig(n_donors=4000, chunk_size=2000)
    )
    return root


def _entries() -> list[WaitingListEntry]:
    crit = SearchCriteria(max_mismatches=1, limit=20, predict_top=5)
    out = [WaitingListEntry(f"P{i}", gl, crit) for i, gl in enumerate(PATIENTS)]
    out.append(WaitingListEntry("BAD", "A*01:01+A*99:99^B*07:02+B*08:01", crit))
    return out


def test_partition_reports_invalid_patient_and_searches_others(
    store_root: Path, imgt_dir: Path, atlas_samples_dir: Path
) -> None:
    files = DonorSearchFiles(str(store_root), str(imgt_dir), str(atlas_samples_dir / "hf-set-301.json"))
    outcomes = search_partition(files, _entries())
    assert [o.patient_id for o in outcomes] == ["P0", "P1", "P2", "P3", "BAD"]
    assert outcomes[-1].result is None and outcomes[-1].error is not None and "A*99:99" in outcomes[-1].error
    first = outcomes[0].result
    assert first is not None and first.donors and first.donors[0].prediction is not None


@pytest.mark.slow
def test_dask_waiting_list_equals_sequential(
    store_root: Path, imgt_dir: Path, atlas_samples_dir: Path, nom: Nomenclature
) -> None:
    distributed = pytest.importorskip("distributed")
    hf_path = atlas_samples_dir / "hf-set-301.json"
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        files = DonorSearchFiles(str(store_root), str(imgt_dir), hf_path=str(hf_path))
        outcomes = search_waiting_list(client, files, _entries(), partition_size=2)
    engine = DonorSearch(DonorStore.open(store_root), nom, hf=load_atlas_hf_set(nom, hf_path))
    assert [o.patient_id for o in outcomes] == [e.patient_id for e in _entries()]
    for entry, outcome in zip(_entries()[:-1], outcomes[:-1], strict=True):
        expected = engine.search(patient_typing(nom, entry.gl), entry.criteria)
        assert outcome.error is None and outcome.result is not None
        assert [d.donor_id for d in outcome.result.donors] == [d.donor_id for d in expected.donors]
        assert [d.prediction for d in outcome.result.donors] == [d.prediction for d in expected.donors]
    assert outcomes[-1].error is not None
