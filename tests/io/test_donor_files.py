"""Donor files: every typing old registry records hold is imported and searchable; problems are reported."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.hla import MacDictionary, Nomenclature
from engraft.hla.matching.typing_builder import typing_builder
from engraft.hla.search.donor_import import FlaggedAllele, MissingLocus
from engraft.hla.search.donor_search import DonorSearch, patient_typing
from engraft.hla.search.donor_store import DonorStore
from engraft.hla.search.donor_typings import UnknownAlleles
from engraft.hla.search.search_models import SearchCriteria
from engraft.io.donor_files import (
    DonorFileError,
    DonorFileFormat,
    detect_format,
    import_atlas_json,
    import_csv,
    import_donor_file,
    import_json,
    read_donor_file,
)
from engraft.vocabulary.hla import Locus

PATIENT = "A*02:01+A*24:02^B*07:02+B*08:01^DRB1*15:01+DRB1*04:01"
LOCI = (Locus.A, Locus.B, Locus.DRB1)
_MAC_TEXT = "LAST UPDATED: 12/04/26\n*\tCODE\tSUBTYPE\n\n\tAB\t01/02\n"


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=sorted({k for r in rows for k in r}))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _donor(donor_id: int, a: tuple[str, str], b: tuple[str, str], drb1: tuple[str, str]) -> dict[str, str]:
    return {"donor_id": str(donor_id), "A_1": a[0], "A_2": a[1], "B_1": b[0], "B_2": b[1], "DRB1_1": drb1[0],
            "DRB1_2": drb1[1]}  # fmt: skip


def _search(store: DonorStore, nom: Nomenclature, mismatches: int, mac: MacDictionary | None = None) -> dict[int, int]:
    """Donor id -> mismatch count for the patient over A, B, DRB1."""
    engine = DonorSearch(store, nom, mac=mac)
    criteria = SearchCriteria(loci=LOCI, max_mismatches=mismatches, limit=1000)
    result = engine.search(patient_typing(nom, PATIENT), criteria)
    return {d.donor_id: d.mismatch_count for d in result.donors}


OLD_TYPINGS = [
    pytest.param(("A2", "A24"), ("B7", "B8"), ("DR15", "DR4"), 0, id="serology-only"),
    pytest.param(("A*02:XX", "A*24:XX"), ("B*07:02", "B*08:01"), ("DRB1*15:XX", "DRB1*04:01"), 0, id="xx-codes"),
    pytest.param(("A*02:AB", "A*24:02"), ("B*07:02", "B*08:01"), ("DRB1*15:01", "DRB1*04:01"), 0, id="mac"),
    pytest.param(("A*NEW", "A*24:02"), ("B*07:02", "B*08:01"), ("DRB1*15:01", "DRB1*04:01"), 1, id="new-placeholder"),
    pytest.param(("A9", "A2"), ("B7", "B8"), ("DR2", "DR4"), 0, id="broad-antigens"),
]


@pytest.mark.parametrize(("a", "b", "drb1", "mismatches"), OLD_TYPINGS)
def test_old_record_typings_are_stored_and_searchable(
    tmp_path: Path,
    nom: Nomenclature,
    macs: MacDictionary,
    a: tuple[str, str],
    b: tuple[str, str],
    drb1: tuple[str, str],
    mismatches: int,
) -> None:
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    report = import_csv(store, nom, _csv(tmp_path / "d.csv", [_donor(7, a, b, drb1)]), mac=macs)
    assert (report.stored, report.invalid, report.flagged) == (1, (), ())
    assert _search(store, nom, 2, macs).get(7) == mismatches
    if mismatches:
        assert 7 not in _search(store, nom, 0, macs)


def test_atlas_serology_fields_are_imported(tmp_path: Path, nom: Nomenclature) -> None:
    hla = {
        "A": {"Ser": {"Field1": "2", "Field2": "24"}},
        "B": {"Ser": {"Field1": "7", "Field2": "8"}},
        "DRB1": {"Ser": {"Field1": "15", "Field2": "4"}},
    }
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    report = import_atlas_json(
        store, nom, {"donors": [{"RecordId": 3, "ChangeType": "N", "DonorType": "D", "Hla": hla}]}
    )
    assert report.stored == 1
    assert _search(store, nom, 0) == {3: 0}


UNKNOWN = [
    pytest.param("A*02:999", "A*NEW", "no current allele named A*02:999", id="unknown-fields"),
    pytest.param("A*99:01", "A*NEW", "no current allele named A*99:01", id="unknown-family"),
    pytest.param("A*02:01/A*02:999", "A*02:01/A*NEW", "A*02:999", id="inside-an-allele-list"),
    pytest.param("HLA-A*02:01:01:999", "A*NEW", "A*02:01:01:999", id="hla-prefix-four-fields"),
]


@pytest.mark.parametrize(("token", "stored_as", "reason"), UNKNOWN)
def test_an_unknown_allele_is_stored_flagged_not_dropped(
    tmp_path: Path, nom: Nomenclature, token: str, stored_as: str, reason: str
) -> None:
    rows = [_donor(1, (token, "A*24:02"), ("B*07:02", "B*08:01"), ("DRB1*15:01", "DRB1*04:01"))]
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    report = import_csv(store, nom, _csv(tmp_path / "d.csv", rows))
    assert (report.stored, report.rejected_donors, report.invalid) == (1, 0, ())
    (flag,) = report.flagged
    assert (flag.donor_id, flag.locus, flag.token, flag.stored_as) == (1, Locus.A, token, stored_as)
    assert reason in flag.reason and report.flagged_donors == 1
    found = _search(store, nom, 2)
    expected = 0 if "/" in token else 1  # the list still holds A*02:01: a potential match, else a mismatch
    assert found[1] == expected


def test_an_unknown_allele_in_a_gl_string_is_flagged(tmp_path: Path, nom: Nomenclature) -> None:
    path = tmp_path / "d.json"
    gl = "A*02:01+A*24:999^B*07:02+B*08:01^DRB1*15:01+DRB1*04:01"
    path.write_text(json.dumps([{"donor_id": 4, "gl": gl}, {"donor_id": 5, "gl": gl.replace("B*08:01", "B*1:01")}]))
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    report = import_json(store, nom, path)
    assert report.stored == 1
    assert report.flagged == (FlaggedAllele(4, Locus.A, "A*24:999", "A*NEW", "no current allele named A*24:999"),)
    (bad,) = report.invalid  # a malformed token is no unknown allele: the donor is rejected
    assert (bad.donor_id, bad.locus, bad.token) == (5, "GL", "B*1:01")
    assert _search(store, nom, 2) == {4: 1}


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        pytest.param("B*07:02", "not A", id="other-locus"),
        pytest.param("A*01:ZZZ", "MAC", id="mac-without-list"),
        pytest.param("A*2:01", "malformed", id="malformed"),
        pytest.param("A99", "A99", id="unknown-antigen"),
    ],
)
def test_other_invalid_tokens_still_reject_the_donor(
    tmp_path: Path, nom: Nomenclature, token: str, reason: str
) -> None:
    rows = [_donor(2, (token, "A*24:02"), ("B*07:02", "B*08:01"), ("DRB1*15:01", "DRB1*04:01"))]
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    report = import_csv(store, nom, _csv(tmp_path / "d.csv", rows))
    assert (report.stored, report.rejected_donors, report.flagged) == (0, 1, ())
    (inv,) = report.invalid
    assert inv.token == token and reason in inv.reason


def test_donors_missing_a_required_locus_are_counted_and_listed(tmp_path: Path, nom: Nomenclature) -> None:
    full = _donor(1, ("A*02:01", "A*24:02"), ("B*07:02", "B*08:01"), ("DRB1*15:01", "DRB1*04:01"))
    no_drb1 = {**full, "donor_id": "2", "DRB1_1": "", "DRB1_2": ""}
    only_a = {"donor_id": "3", "A_1": "A*02:01", "A_2": "", "B_1": "", "B_2": "", "DRB1_1": "", "DRB1_2": ""}
    half_b = {**full, "donor_id": "4", "B_2": ""}  # one position typed: homozygous, not missing
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    report = import_csv(store, nom, _csv(tmp_path / "d.csv", [full, no_drb1, only_a, half_b]))
    assert report.stored == 2 and report.rejected_donors == 2 and report.invalid == ()
    assert report.missing_required == (
        MissingLocus(2, (Locus.DRB1,)),
        MissingLocus(3, (Locus.B, Locus.DRB1)),
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param('[{"donor_id": 1}]', DonorFileFormat.JSON, id="json-list"),
        pytest.param('\n  {"donors": []}', DonorFileFormat.ATLAS, id="atlas-object"),
        pytest.param("\ufeffdonor_id,gl\n1,A*01:01", DonorFileFormat.CSV, id="csv-with-bom"),
        pytest.param("donor_id;gl", DonorFileFormat.CSV, id="anything-else-is-taken-for-csv"),
    ],
)
def test_detect_format(content: str, expected: DonorFileFormat) -> None:
    assert detect_format(content.removeprefix("\ufeff")) is expected


READ_ERRORS = [
    pytest.param(
        b"donor_id,gl\n1,A*01:01\n",
        DonorFileFormat.JSON,
        "is not valid JSON: Expecting value at line 1, column 1",
        id="csv-given-as-json",
    ),
    pytest.param(b'[{"donor_id": 1},', None, "is not valid JSON", id="truncated-json"),
    pytest.param(b'{"donor_id": 1}', DonorFileFormat.JSON, "must be a list of donor objects, not a dict", id="object"),
    pytest.param(b'[{"donor_id": 1}]', DonorFileFormat.ATLAS, "JSON object with a 'donors' list", id="list-as-atlas"),
    pytest.param(b"id,name\n1,x\n", None, "first line (id, name) has no donor_id column", id="csv-without-id"),
    pytest.param(b"", None, "is empty", id="empty"),
    pytest.param(b"donor_id,gl\n1,\xff\n", None, "is not UTF-8 text (byte 14 is 0xff)", id="latin-1"),
    pytest.param(b'donor_id,gl\n1,"A*01\n', None, "not a readable CSV row (unexpected end of data)", id="open-quote"),
    pytest.param(b"donor_id,gl\n1,A,B\n", None, "line 2: more values than the header has columns", id="extra-values"),
]


@pytest.mark.parametrize(("content", "fmt", "message"), READ_ERRORS)
def test_unreadable_files_are_refused_in_one_sentence(
    tmp_path: Path, content: bytes, fmt: DonorFileFormat | None, message: str
) -> None:
    path = tmp_path / "donors.txt"
    path.write_bytes(content)
    with pytest.raises(DonorFileError) as info:
        read_donor_file(path, fmt)
    text = str(info.value)
    assert message in text and str(path) in text and "\n" not in text


def test_a_checked_file_imports_with_its_count(tmp_path: Path, nom: Nomenclature) -> None:
    rows = [_donor(i, ("A*02:01", "A*24:02"), ("B*07:02", "B*08:01"), ("DRB1*15:01", "DRB1*04:01")) for i in range(5)]
    checked = read_donor_file(_csv(tmp_path / "d.csv", rows))
    assert (checked.format, checked.count) == (DonorFileFormat.CSV, 5)
    seen: list[tuple[int, int]] = []
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    report = import_donor_file(store, nom, checked, chunk_size=2, progress=lambda d, t: seen.append((d, t)))
    assert report.stored == 5 and seen == [(2, 5), (4, 5), (5, 5)]


@given(
    st.lists(
        st.fixed_dictionaries({"donor_id": st.integers(0, 10**9), "gl": st.sampled_from(["", "A*01:01+A*02:01"])}),
        max_size=5,
    ),
    st.sampled_from(["json", "csv"]),
)
def test_property_format_of_a_written_file_is_found_again(rows: list[dict[str, object]], kind: str) -> None:
    if kind == "json":
        text = json.dumps(rows)
        expected = DonorFileFormat.JSON
    else:
        text = "donor_id,gl\n" + "".join(f"{r['donor_id']},{r['gl']}\n" for r in rows)
        expected = DonorFileFormat.CSV
    assert detect_format(text) is expected


@pytest.fixture(scope="module")
def nom(imgt_dir: Path) -> Nomenclature:
    return Nomenclature.load(imgt_dir)


@pytest.fixture(scope="module")
def macs() -> MacDictionary:
    return MacDictionary.from_text(_MAC_TEXT, source="test")


@given(st.integers(1, 9999), st.integers(1, 9999), st.sampled_from(["", "N", "L"]))
def test_property_an_allele_name_is_kept_or_flagged_never_rejected(
    nom: Nomenclature, first: int, second: int, suffix: str
) -> None:
    token = f"A*{first:02d}:{second:02d}{suffix}"
    hla: dict[Locus, tuple[str | None, str | None]] = {Locus.A: (token, "A*01:01")}
    flagged: list[FlaggedAllele] = []
    UnknownAlleles(typing_builder(nom), None).flag(9, hla, flagged)
    if nom.is_valid(token):
        assert flagged == [] and hla[Locus.A] == (token, "A*01:01")
    else:
        assert hla[Locus.A] == ("A*NEW", "A*01:01")
        assert [(f.donor_id, f.token, f.stored_as) for f in flagged] == [(9, token, "A*NEW")]
