"""Every donor-file format imports the same by the columnar path as by the per-record path (issue 13).

The per-record path (``import_donor_file(..., per_record=True)``: one donor record at a time, as before)
is the reference. Hypothesis writes donor files in each format (CSV with ``<LOCUS>_n`` columns or GL
Strings, our JSON list, Atlas donor-import JSON) from tokens of every kind a registry sends: allele
names the release knows and does not know (stored flagged as ``NEW``), allele lists, XX codes, MAC
codes, ``NEW``, serology, malformed tokens, ``|`` genotype lists, a required locus missing, values a
field does not take, unreadable ids, repeated ids, entries that are not objects, Atlas deletions. The
two paths must store the same donors and give the same report (the counts of stored and replaced
donors aside when an id repeats: the columnar path writes once, so the last row of an id is stored
once, where the per-record path stored and then replaced it).
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engraft.hla import MacDictionary, Nomenclature
from engraft.hla.search.donor_import import ImportReport
from engraft.hla.search.donor_store import DonorStore
from engraft.io.donor_files import DonorFileFormat, import_donor_file, read_donor_file
from tests.io.donor_store_content import store_content

_MAC = MacDictionary.from_text("LAST UPDATED: 12/04/26\n*\tCODE\tSUBTYPE\n\n\tAB\t01/02\n", source="test")

# per locus: tokens of every kind (valid, unknown allele, list with an unknown item, XX, MAC, NEW,
# serology, malformed, other locus)
TOKENS = {
    "A": ["A*02:01", "A*24:02", "A*01:01", "A*02:999", "A*02:01/A*02:999", "A*02:XX", "A*02:AB", "A*NEW", "A2"],
    "B": ["B*07:02", "B*08:01", "B*44:02", "B*1:01", "B7", "B*07:XX", "A*01:01", "B*99:01"],
    "C": ["C*07:01", "C*07:02", "C*99:99", ""],
    "DRB1": ["DRB1*15:01", "DRB1*04:01", "DRB1*03:01", "DRB1*15:XX", "DR4", "DRB1*15:999"],
    "DQB1": ["DQB1*06:02", "DQB1*03:01", ""],
    "DPB1": ["DPB1*04:01", "DPB1*02:01", "DPB1*999:01", ""],
}
LOCI = tuple(TOKENS)
FIELDS = {
    "registry": ["R1", " R2 ", ""],
    "ethnicity": ["EUR", "AFA", "", " API"],
    "birth_year": ["1980", "", "0", "1850", "19x0"],
    "sex": ["M", "f", "", "unknown", "x"],
    "cmv": ["pos", "neg", "", "postive"],
    "abo": ["O+", "AB", "", "Z"],
    "donor_type": ["", "adult", "cord", "tree"],
    "tnc": ["", "12.5", "-1"],
}
IDS = st.one_of(st.integers(1, 12).map(str), st.sampled_from(["x3", "-4", "99999999999999999999", ""]))

# GL Strings: per locus a genotype, a '|' genotype list, tokens the release refuses
GL_LOCI = st.sampled_from(
    [
        "A*02:01+A*24:02",
        "A*01:01+A*02:01",
        "A*02:01+A*24:02|A*02:01+A*01:01",
        "A*02:999+A*24:02",
        "A*02:XX+A*02:AB",
        "A2+A24",
        "B*07:02+B*08:01",
        "B*07:02~C*07:02+B*08:01~C*07:01",
        "B*1:01+B*08:01",
        "B*44:02",
        "DRB1*15:01+DRB1*04:01",
        "DRB1*15:01+DRB1*04:01|DRB1*03:01+DRB1*04:01",
        "DRB1*15:999+DRB1*04:01",
        "DQB1*06:02+DQB1*03:01",
        "DPB1*04:01+DPB1*02:01",
        "C*07:01+C*07:02",
        "A*02:01+B*07:02",
        "A*02:01+A*24:02+A*01:01",
    ]
)
GL = st.one_of(st.just(""), st.lists(GL_LOCI, min_size=1, max_size=5).map("^".join), st.just("A*02:01++A*24:02"))


@st.composite
def donors(draw: st.DrawFn, *, gl: bool) -> list[dict[str, str]]:
    rows = []
    for _ in range(draw(st.integers(1, 14))):
        row = {"donor_id": draw(IDS)}
        for name, values in FIELDS.items():
            # mostly accepted values, so that most donors reach the HLA rules
            row[name] = draw(st.sampled_from(values[:2]) if draw(st.integers(0, 4)) else st.sampled_from(values))
        for locus, tokens in TOKENS.items():
            row[f"{locus}_1"] = draw(
                st.sampled_from(tokens[:2]) if draw(st.integers(0, 3)) else st.sampled_from(tokens)
            )
            row[f"{locus}_2"] = draw(st.sampled_from([*tokens, ""]))
        if gl:
            row["gl"] = draw(GL)
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def nom(imgt_dir: Path) -> Nomenclature:
    return Nomenclature.load(imgt_dir)


def _both(root: Path, nom: Nomenclature, path: Path, chunk_size: int) -> None:
    """Import ``path`` by both paths into new stores; the reports and the stores must agree."""
    source = read_donor_file(path)
    reports: list[ImportReport] = []
    contents = []
    for name, per_record in (("records", True), ("columns", False)):
        store_dir = root / name
        store = DonorStore.create(store_dir, release=nom.release)
        reports.append(import_donor_file(store, nom, source, chunk_size=chunk_size, mac=_MAC, per_record=per_record))
        opened = DonorStore.open(store_dir)
        contents.append((store_content(opened), opened.registries, opened.ethnicities))
    slow, fast = reports
    assert dataclasses.replace(slow, stored=fast.stored, replaced=fast.replaced) == fast
    assert contents[0] == contents[1]


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _atlas(rows: list[dict[str, str]], changes: list[str], kinds: list[object]) -> dict[str, object]:
    out: list[object] = []
    for row, change, kind in zip(rows, changes, kinds, strict=False):
        hla: dict[str, object] = {}
        for locus in LOCI:
            first, second = row[f"{locus}_1"], row[f"{locus}_2"]
            if first.startswith(f"{locus}*") and second.startswith(f"{locus}*"):
                hla[locus] = {"Dna": {"Field1": first[len(locus) :], "Field2": second[len(locus) :]}, "ser": None}
            elif first and second and not any(c in first + second for c in "*:/"):
                hla[locus.lower()] = {"dna": None, "Ser": {"Field1": first.lstrip("ABCDRQP"), "Field2": second[-1:]}}
            elif first:
                hla[locus] = {"Dna": {"Field1": first, "Field2": None}}
        record: dict[str, object] = {
            "RecordId": int(row["donor_id"]) if row["donor_id"].isdigit() else row["donor_id"],
            "DonorType": kind,
            "donPool": row["registry"],
            "ethn": row["ethnicity"] or None,
            "Hla": hla,
        }
        if change:
            record["ChangeType"] = change
        out.append(record)
    return {"updateMode": "diff", "donors": out}


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(rows=donors(gl=False), chunk_size=st.sampled_from([2, 5, 100]))
def test_csv_with_locus_columns(
    tmp_path_factory: pytest.TempPathFactory, nom: Nomenclature, rows: list[dict[str, str]], chunk_size: int
) -> None:
    root = tmp_path_factory.mktemp("csv")
    _both(root, nom, _write_csv(root / "d.csv", rows), chunk_size)


@SETTINGS
@given(rows=donors(gl=True), chunk_size=st.sampled_from([2, 5, 100]))
def test_csv_with_gl_strings(
    tmp_path_factory: pytest.TempPathFactory, nom: Nomenclature, rows: list[dict[str, str]], chunk_size: int
) -> None:
    root = tmp_path_factory.mktemp("gl")
    _both(root, nom, _write_csv(root / "d.csv", rows), chunk_size)


@SETTINGS
@given(
    rows=donors(gl=True),
    extra=st.lists(st.sampled_from([None, 7, "text", ["A*01:01"]]), max_size=2),
    nested=st.booleans(),
    chunk_size=st.sampled_from([2, 100]),
)
def test_json_list(
    tmp_path_factory: pytest.TempPathFactory,
    nom: Nomenclature,
    rows: list[dict[str, str]],
    extra: list[object],
    nested: bool,
    chunk_size: int,
) -> None:
    root = tmp_path_factory.mktemp("json")
    records: list[object] = []
    for row in rows:
        record: dict[str, object] = dict(row)
        if nested and not row.get("gl"):
            record["hla"] = {"a": [row["A_1"], None], "B": (row["B_2"],), "DRB1": [row["DRB1_1"], row["DRB1_2"]]}
        if record.get("birth_year") == "1980":
            record["birth_year"] = 1980  # a number, as JSON writes it
        records.append(record)
    records[1:1] = extra
    path = root / "d.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    assert read_donor_file(path).format is DonorFileFormat.JSON
    _both(root, nom, path, chunk_size)


@SETTINGS
@given(
    rows=donors(gl=False),
    changes=st.lists(st.sampled_from(["", "N", "nu", "U", "D", "X"]), min_size=14, max_size=14),
    kinds=st.lists(st.sampled_from(["D", "C", "c", "B", None, 3]), min_size=14, max_size=14),
    chunk_size=st.sampled_from([2, 100]),
)
def test_atlas_json(
    tmp_path_factory: pytest.TempPathFactory,
    nom: Nomenclature,
    rows: list[dict[str, str]],
    changes: list[str],
    kinds: list[object],
    chunk_size: int,
) -> None:
    root = tmp_path_factory.mktemp("atlas")
    data = _atlas(rows, changes, kinds)
    path = root / "d.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert read_donor_file(path).format is DonorFileFormat.ATLAS
    _both(root, nom, path, chunk_size)


def test_an_atlas_deletion_of_a_stored_donor(tmp_path: Path, nom: Nomenclature) -> None:
    """A ``D`` record removes a donor stored before, by both paths alike."""
    typed = {"Dna": {"Field1": "*02:01", "Field2": "*24:02"}}
    hla = {"A": typed, "B": {"Dna": {"Field1": "*07:02", "Field2": "*08:01"}}, "DRB1": {"Dna": {"Field1": "*15:01"}}}
    first = {"donors": [{"RecordId": i, "DonorType": "D", "Hla": hla} for i in (1, 2, 3)]}
    second = {"donors": [{"RecordId": 2, "ChangeType": "D"}, {"RecordId": 4, "DonorType": "C", "Hla": hla}]}
    results = []
    for per_record in (True, False):
        root = tmp_path / str(per_record)
        root.mkdir()
        store = DonorStore.create(root / "store", release=nom.release)
        for n, data in enumerate((first, second)):
            path = root / f"{n}.json"
            path.write_text(json.dumps(data), encoding="utf-8")
            report = import_donor_file(store, nom, read_donor_file(path), per_record=per_record)
        results.append((report, sorted(store_content(DonorStore.open(root / "store")))))
    assert results[0] == results[1]
    assert results[1][0].removed == 1
    assert results[1][1] == [1, 3, 4]


def test_gl_reader_reads_what_the_rule_reads(nom: Nomenclature) -> None:
    """The block cache answers as :func:`read_gl` answers, refusals included (reason and token)."""
    from engraft.hla.search.donor_gl import GlReader, read_gl

    reader = GlReader(nom, _MAC)
    texts = [
        "A*02:01+A*24:02^B*07:02+B*08:01^DRB1*15:01+DRB1*04:01",
        "B*07:02+B*08:01^A*02:01+A*24:02",  # same blocks, other order
        "A*02:01+A*24:02|A*02:01+A*01:01^B*07:02~C*07:02+B*08:01~C*07:01",
        "A*02:01+A*24:02^A*01:01+A*02:01",  # a locus in two blocks
        "A*02:999+A*24:02^B*07:02+B*08:01",  # unknown allele: tokens as written
        "A*02:01+A*24:02^B*1:01+B*08:01",  # malformed
        "A*02:01+A*24:02^^B*07:02+B*08:01",  # empty block
        "B*44:02",  # one haplotype: homozygous
        "A*02:XX+A*02:AB",
    ]
    for text in texts + texts:  # the second time from the cache
        assert reader.read(text) == read_gl(nom, text, _MAC), text
