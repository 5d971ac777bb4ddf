"""Index rebuilds never block searches (issue 13, performance): a changed store is reopened and indexed
beside the serving engine, then swapped in; a search meanwhile is answered from the old, consistent index.

No timing: the rebuild is held at an event once its new engine is fully built, and a search must complete
(and see the old donors only) before the rebuild is let go.
"""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import pytest

from engraft.api.routes_donor_search import DonorRegistry
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.search.donor_search import DonorSearch, patient_typing
from engraft.hla.search.donor_store import DonorStore
from engraft.hla.search.search_models import SearchCriteria
from engraft.io.donor_files import import_csv
from engraft.vocabulary.hla import Locus

PATIENT = "A*02:01+A*24:02^B*07:02+B*08:01^DRB1*15:01+DRB1*04:01"
CRITERIA = SearchCriteria(loci=(Locus.A, Locus.B, Locus.DRB1), max_mismatches=2, limit=100)
WAIT = 60.0  # seconds a step may take before the test gives up (a hang, never a timing assertion)


def _csv(path: Path, ids: range) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["donor_id", "A_1", "A_2", "B_1", "B_2", "DRB1_1", "DRB1_2"])
        for i in ids:
            # later donors bring typings the first index has never seen (new dictionary entries)
            a2 = "A*24:02" if i < 100 else "A*03:01"
            writer.writerow([i, "A*02:01", a2, "B*07:02", "B*08:01", "DRB1*15:01", "DRB1*04:01"])
    return path


def _ids(engine: DonorSearch) -> set[int]:
    result = engine.search(patient_typing(engine.nom, PATIENT), CRITERIA)
    return {d.donor_id for d in result.donors}


@pytest.fixture(scope="module")
def nom(imgt_dir: Path) -> Nomenclature:
    return Nomenclature.load(imgt_dir)


@pytest.fixture
def registry(tmp_path: Path, nom: Nomenclature, imgt_dir: Path) -> DonorRegistry:
    store = DonorStore.create(tmp_path / "store", release=nom.release)
    assert import_csv(store, nom, _csv(tmp_path / "first.csv", range(1, 6))).stored == 5
    return DonorRegistry(tmp_path / "store", imgt_dir=imgt_dir)


def _grow(registry: DonorRegistry, nom: Nomenclature, tmp_path: Path) -> None:
    """Another writer (the CLI's ``donors import``) adds donors to the store on disk."""
    writer = DonorStore.open(registry.store_path)
    assert import_csv(writer, nom, _csv(tmp_path / "more.csv", range(100, 103))).stored == 3


def test_a_search_during_a_rebuild_is_answered_from_the_old_index(
    registry: DonorRegistry, nom: Nomenclature, tmp_path: Path
) -> None:
    old = registry.search_engine()
    assert _ids(old) == {1, 2, 3, 4, 5}
    _grow(registry, nom, tmp_path)
    built, go = threading.Event(), threading.Event()
    seen: list[set[int]] = []

    def hold(new: DonorSearch) -> None:
        seen.append(_ids(new))  # the new engine is complete before it is swapped in
        built.set()
        assert go.wait(WAIT)

    rebuild = threading.Thread(target=registry.refresh, kwargs={"before_swap": hold})
    rebuild.start()
    try:
        assert built.wait(WAIT)
        # the rebuild holds its new engine; a search now completes, on the old engine and the old donors
        during = registry.search_engine()
        assert during is old
        assert _ids(during) == {1, 2, 3, 4, 5}
    finally:
        go.set()
        rebuild.join(WAIT)
    assert not rebuild.is_alive()
    assert registry.wait_for_refresh(WAIT)
    new = registry.search_engine()
    assert new is not old
    assert seen == [_ids(new)] == [{1, 2, 3, 4, 5, 100, 101, 102}]
    # a search that started on the old engine (in flight at the swap) still has its consistent index
    assert _ids(old) == {1, 2, 3, 4, 5}


def test_a_changed_store_is_picked_up_in_the_background(
    registry: DonorRegistry, nom: Nomenclature, tmp_path: Path
) -> None:
    old = registry.search_engine()
    _grow(registry, nom, tmp_path)
    assert registry.search_engine() is old  # answered at once: the refresh runs beside it
    assert registry.wait_for_refresh(WAIT)
    new = registry.search_engine()
    assert new is not old and _ids(new) == {1, 2, 3, 4, 5, 100, 101, 102}
    assert registry.search_engine() is new  # unchanged store: no further refresh
    assert registry.wait_for_refresh(WAIT)


def test_a_failed_refresh_keeps_the_old_engine_and_is_not_retried(
    registry: DonorRegistry, nom: Nomenclature, tmp_path: Path
) -> None:
    old = registry.search_engine()
    manifest = registry.store_path / "manifest.json"
    text = manifest.read_text(encoding="utf-8")
    broken = text.replace('"format": "engraft-donor-store/1"', '"format": "something-else"')
    manifest.write_text(broken.replace(f'"generation": {old.store.generation}', '"generation": 999'), encoding="utf-8")
    assert registry.search_engine() is old
    assert registry.wait_for_refresh(WAIT)
    assert registry.last_refresh_error is not None and "not a donor store" in registry.last_refresh_error
    assert registry.search_engine() is old and _ids(old) == {1, 2, 3, 4, 5}
    assert registry.wait_for_refresh(WAIT) and registry.background_refreshes == 1  # not tried again
    manifest.write_text(text, encoding="utf-8")  # the store repaired (its own generation again): nothing to do
    assert registry.search_engine() is old
    assert registry.background_refreshes == 1
    _grow(registry, nom, tmp_path)  # changed again: tried again, and this time it works
    assert registry.search_engine() is old
    assert registry.wait_for_refresh(WAIT) and registry.background_refreshes == 2
    assert registry.last_refresh_error is None and _ids(registry.search_engine()) == {1, 2, 3, 4, 5, 100, 101, 102}
