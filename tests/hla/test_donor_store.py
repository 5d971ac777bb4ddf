"""Donor store: imports (Atlas JSON, JSON, CSV), invalid-typing reports, upsert/remove/compact, generator."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.demo.donor_registry import GeneratorConfig, RegistryGenerator, generate_registry
from engraft.hla import Nomenclature
from engraft.hla.search.donor_batch import DonorBatch, LocusColumn, empty_attributes, validate_batch
from engraft.hla.search.donor_store import DonorStore, hla_column
from engraft.hla.search.store_codes import DONOR_KIND
from engraft.io.donor_files import import_atlas_json, import_csv, import_json
from engraft.io.haplotype_frequencies import load_atlas_hf_set
from engraft.vocabulary import DonorKind
from engraft.vocabulary.hla import STORED_LOCI as STORE_LOCI

TOKENS = {
    "A": ["A*01:01", "A*02:01", "A*03:01", "A*24:02", "A2"],
    "B": ["B*07:02", "B*08:01", "B*44:02", "B*35:01"],
    "DRB1": ["DRB1*15:01", "DRB1*03:01", "DRB1*04:01", "DR4"],
}


def _batch(ids: list[int], variant: int = 0) -> DonorBatch:
    """A tiny batch typed at A, B and DRB1; ``variant`` shifts the tokens (to detect updates)."""
    n = len(ids)
    hla = {}
    for locus, toks in TOKENS.items():
        first = np.array([(i + variant) % len(toks) for i in ids], dtype=np.int32)
        second = np.array([(i * 3 + variant) % len(toks) for i in ids], dtype=np.int32)
        hla[locus] = LocusColumn(tuple(toks), first, second)
    attrs = empty_attributes(n)
    return DonorBatch(donor_id=np.array(ids, dtype=np.int64), registry_names=("R",), hla=hla, **attrs)  # type: ignore[arg-type]


def _tokens_of(store: DonorStore, donor_id: int, locus: str) -> tuple[str, str] | None:
    for seg in store.segments():
        rows = np.flatnonzero((np.asarray(seg.columns["donor_id"]) == donor_id) & seg.live)
        if rows.size:
            return store.typing_tokens(locus, int(seg.columns[hla_column(locus)][rows[0]]))
    raise KeyError(donor_id)


def test_atlas_sample_imports_every_donor(tmp_path: Path, nom: Nomenclature, atlas_samples_dir: Path) -> None:
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    seen: list[tuple[int, int]] = []
    report = import_atlas_json(
        store, nom, atlas_samples_dir / "donors-1000.json", chunk_size=300, progress=lambda d, t: seen.append((d, t))
    )
    assert (report.read, report.stored, report.invalid) == (1000, 1000, ())
    assert seen[-1] == (1000, 1000) and len(seen) == 4
    reopened = DonorStore.open(tmp_path / "s")
    assert len(reopened) == 1000
    assert _tokens_of(reopened, 1, "A") == ("A*03:112", "A*24:02:13")


@pytest.mark.parametrize(
    ("hla", "locus", "token", "reason_part"),
    [
        pytest.param(
            {"A": {"Dna": {"Field1": "*01:ZZZ", "Field2": "*01:01"}}}, "A", "A*01:ZZZ", "MAC", id="mac-without-list"
        ),
        pytest.param(
            {"A": {"Dna": {"Field1": "*1:01", "Field2": "*01:01"}}}, "A", "A*1:01", "malformed", id="malformed"
        ),
        pytest.param(
            {"A": {"Dna": {"Field1": "*01:01", "Field2": "B*07:02"}}}, "A", "B*07:02", "locus", id="wrong-locus"
        ),
    ],
)
def test_atlas_invalid_typings_are_reported(
    tmp_path: Path, nom: Nomenclature, hla: dict[str, object], locus: str, token: str, reason_part: str
) -> None:
    base = {
        "B": {"Dna": {"Field1": "*07:02", "Field2": "*08:01"}},
        "DRB1": {"Dna": {"Field1": "*15:01", "Field2": "*03:01"}},
    }
    good = {
        "RecordId": 1,
        "ChangeType": "N",
        "DonorType": "D",
        "donPool": "X",
        "Hla": {"A": {"Dna": {"Field1": "*01:01"}}, **base},
    }
    bad = {"RecordId": 2, "ChangeType": "N", "DonorType": "D", "donPool": "X", "Hla": {**base, **hla}}
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    report = import_atlas_json(store, nom, {"updateMode": "diff", "donors": [good, bad]})
    assert report.stored == 1 and report.rejected_donors == 1
    (inv,) = report.invalid
    assert (inv.donor_id, inv.locus, inv.token) == (2, locus, token)
    assert reason_part in inv.reason
    assert _tokens_of(store, 1, "A") == ("A*01:01", "A*01:01")  # one position given: homozygous


def test_atlas_change_type_d_deletes(tmp_path: Path, nom: Nomenclature) -> None:
    hla = {"A": {"Dna": {"Field1": "*01:01", "Field2": "*02:01"}}, "B": {"Ser": {"Field1": "7", "Field2": "8"}}}
    hla["DRB1"] = {"Dna": {"Field1": "*15:01", "Field2": "*03:01"}}
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    donors = [{"RecordId": i, "ChangeType": "N", "DonorType": "C" if i == 2 else "D", "Hla": hla} for i in (1, 2, 3)]
    import_atlas_json(store, nom, {"donors": donors})
    assert _tokens_of(store, 1, "B") == ("B7", "B8")
    report = import_atlas_json(store, nom, {"donors": [{"RecordId": 3, "ChangeType": "D"}]})
    assert report.removed == 1
    assert sorted(store.donor_ids().tolist()) == [1, 2]
    types = np.concatenate([np.asarray(s.columns["donor_type"])[s.live] for s in store.segments()])
    assert sorted(DONOR_KIND.value(t) for t in types.tolist()) == [DonorKind.ADULT, DonorKind.CORD]


def test_atlas_lower_case_keys_and_donor_types(tmp_path: Path, nom: Nomenclature) -> None:
    hla = {"a": {"dna": {"field1": "*01:01", "field2": "*02:01"}}, "b": {"ser": {"field1": "7", "field2": "8"}}}
    hla["drb1"] = {"dna": {"field1": "*15:01", "field2": "*03:01"}}
    donors = [
        {"recordId": "0042", "changeType": "NU", "donorType": "C", "donPool": "AN", "hla": hla},
        {"recordId": "43", "changeType": "N", "donorType": "B", "hla": hla},
        {"recordId": "X1", "changeType": "N", "donorType": "D", "hla": hla},
    ]
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    report = import_atlas_json(store, nom, {"updateMode": "diff", "donors": donors})
    assert report.stored == 1 and store.donor_ids().tolist() == [42]
    assert report.invalid == () and report.rejected_donors == 2
    assert [(v.donor_id, v.field, v.value) for v in report.invalid_values] == [
        (43, "DonorType", "B"),
        (-1, "RecordId", "X1"),
    ]
    assert _tokens_of(store, 42, "B") == ("B7", "B8") and store.registries == ("AN",)


def test_csv_and_json_imports_with_attributes(tmp_path: Path, nom: Nomenclature) -> None:
    rows = [
        {"donor_id": "10", "donor_type": "adult", "registry": "DE", "birth_year": "1990", "sex": "M", "cmv": "neg",
         "abo": "A+", "A_1": "A*01:01", "A_2": "A*02:01", "B_1": "B*07:02", "B_2": "B*08:01",
         "DRB1_1": "DRB1*15:01", "DRB1_2": "DRB1*03:01", "tnc": "", "cd34": "", "gl": ""},
        {"donor_id": "11", "donor_type": "cord", "registry": "UK", "birth_year": "", "sex": "F", "cmv": "pos",
         "abo": "O", "gl": "A*01:01+A*02:01^B*07:02+B*08:01^DRB1*15:01+DRB1*03:01", "tnc": "150.5", "cd34": "4.2"},
        {"donor_id": "x12", "gl": "A*01:01+A*02:01"},
        {"donor_id": "13", "gl": "A*01:01+A*02:01^B*07:02+B*08:01^DRB1*15:01+DRB1*9:01"},
    ]  # fmt: skip
    path = tmp_path / "d.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=sorted({k for r in rows for k in r}))
        writer.writeheader()
        writer.writerows(rows)
    store = DonorStore.create(tmp_path / "csv", release=nom.release)
    report = import_csv(store, nom, path)
    assert report.stored == 2
    assert {(i.donor_id, i.locus) for i in report.invalid} == {(13, "GL")}
    assert {(v.donor_id, v.field, v.value) for v in report.invalid_values} == {(-1, "donor_id", "x12")}
    seg = store.segments()[0]
    assert seg.columns["birth_year"].tolist() == [1990, 0]
    assert float(seg.columns["tnc"][1]) == pytest.approx(150.5)
    assert set(store.registries) == {"DE", "UK"}
    jpath = tmp_path / "d.json"
    jpath.write_text(json.dumps([{"donor_id": 5, "hla": {"A": ["A*01:01"], "B": ["B7", "B8"], "DRB1": ["DR15"]}}]))
    jstore = DonorStore.create(tmp_path / "json", release=nom.release)
    assert import_json(jstore, nom, jpath).stored == 1
    assert _tokens_of(jstore, 5, "DRB1") == ("DR15", "DR15")


def test_upsert_remove_compact(tmp_path: Path, nom: Nomenclature) -> None:
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    store.append(validate_batch(nom, _batch(list(range(1, 21))))[0])
    before = _tokens_of(store, 5, "A")
    added, replaced = store.append(validate_batch(nom, _batch([5, 6, 30], variant=1))[0])
    assert (added, replaced) == (3, 2)
    assert len(store) == 21
    assert _tokens_of(store, 5, "A") != before
    assert store.remove([1, 2, 999]) == 2
    dict_before = len(store.dictionaries["A"])
    store.compact(segment_rows=8)
    reopened = DonorStore.open(tmp_path / "s")
    assert sorted(reopened.donor_ids().tolist()) == [*range(3, 21), 30]
    assert [s.rows for s in reopened.segments()] == [8, 8, 3]
    assert len(reopened.dictionaries["A"]) <= dict_before
    assert _tokens_of(reopened, 5, "A") == _tokens_of(store, 5, "A")


@settings(max_examples=25, deadline=None, database=None)
@given(
    ops=st.lists(
        st.tuples(st.sampled_from(["upsert", "remove", "compact"]), st.lists(st.integers(1, 30), max_size=8)),
        max_size=8,
    )
)
def test_store_matches_dictionary_model(nom: Nomenclature, ops: list[tuple[str, list[int]]]) -> None:
    """Property: after any sequence of upserts, removals and compactions the store equals a dict model."""
    model: dict[int, tuple[str, str] | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = DonorStore.create(Path(tmp) / "s", release=nom.release)
        for step, (op, ids) in enumerate(ops):
            if op == "upsert" and ids:
                batch = _batch(ids, variant=step)
                store.append(batch)
                for k, i in enumerate(ids):
                    col = batch.hla["A"]
                    pair = sorted((col.vocabulary[col.first[k]], col.vocabulary[col.second[k]]))
                    model[i] = (pair[0], pair[1])
            elif op == "remove":
                store.remove(ids)
                for i in ids:
                    model.pop(i, None)
            elif op == "compact":
                store.compact(segment_rows=5)
        reopened = DonorStore.open(Path(tmp) / "s")
        assert sorted(reopened.donor_ids().tolist()) == sorted(model)
        for i, pair in model.items():
            assert _tokens_of(reopened, i, "A") == pair


def test_generator_is_deterministic_valid_and_mixed(nom: Nomenclature, atlas_samples_dir: Path) -> None:
    hf = load_atlas_hf_set(nom, atlas_samples_dir / "hf-set-301.json")
    config = GeneratorConfig(n_donors=5000, chunk_size=2000, seed=7, cord_fraction=0.1)
    batches = list(RegistryGenerator(nom, hf, config).batches())
    assert [len(b) for b in batches] == [2000, 2000, 1000]
    again = next(RegistryGenerator(nom, hf, config).batches())
    assert np.array_equal(batches[0].hla["B"].first, again.hla["B"].first)
    for batch in batches:
        valid, report = validate_batch(nom, batch)
        assert report == () and len(valid) == len(batch)
    b = batches[0]
    cord = b.donor_type == DONOR_KIND.code(DonorKind.CORD)
    assert 0 < cord.sum() < len(b)
    assert np.isnan(b.tnc[~cord]).all() and (b.tnc[cord] > 0).all() and (b.cd34[cord] > 0).all()
    assert (b.birth_year[cord] == 0).all() and (b.birth_year[~cord] >= 2026 - 60).all()
    a = b.hla["A"]
    kinds = {a.vocabulary[i].split("*")[-1][-1] if "*" in a.vocabulary[i] else "ser" for i in a.first.tolist()}
    assert {"G", "X", "ser"} <= kinds  # G groups, XX codes and serology all present
    assert (b.hla["C"].first == -1).any() and (b.hla["DPB1"].first >= 0).any()


def test_generate_registry_writes_chunks(tmp_path: Path, nom: Nomenclature, atlas_samples_dir: Path) -> None:
    hf = load_atlas_hf_set(nom, atlas_samples_dir / "hf-set-301.json")
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    seen: list[int] = []
    n = generate_registry(
        store, nom, hf, GeneratorConfig(n_donors=2500, chunk_size=1000), progress=lambda d, t: seen.append(d)
    )
    assert n == 2500 and seen == [1000, 2000, 2500]
    assert len(DonorStore.open(tmp_path / "s")) == 2500
    assert all(hla_column(locus) in store.segments()[0].columns for locus in STORE_LOCI)


def test_compaction_switches_dictionaries_with_the_manifest(tmp_path: Path, imgt_dir: Path) -> None:
    """Old dictionary files stay valid until the new manifest names the renumbered ones."""
    import json

    from engraft.demo.donor_registry import GeneratorConfig, generate_registry
    from engraft.demo.haplotypes import demo_hf_set
    from engraft.hla.nomenclature import Nomenclature
    from engraft.hla.search.donor_store import DonorStore

    nom = Nomenclature.load(imgt_dir)
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    generate_registry(store, nom, demo_hf_set(nom), GeneratorConfig(n_donors=500, seed=2))
    before = json.loads((tmp_path / "s" / "manifest.json").read_text())["dictionaries"]
    store.remove(list(range(1, 400)))
    store.compact()
    after = json.loads((tmp_path / "s" / "manifest.json").read_text())["dictionaries"]
    assert set(before) == set(after) and all(before[k] != after[k] for k in before)
    on_disk = {p.name for p in (tmp_path / "s" / "dictionary").glob("*.parquet")}
    assert on_disk == set(after.values())
    reopened = DonorStore.open(tmp_path / "s")
    assert len(reopened) == 101
