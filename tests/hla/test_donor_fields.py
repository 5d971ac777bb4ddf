"""Donor-file fields read into the vocabulary: synonym tables, and per-donor reports of what they refuse."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.hla import Nomenclature
from engraft.hla.search.donor_fields import (
    ABO_SYNONYMS,
    ATLAS_CHANGE_TYPES,
    ATLAS_DONOR_TYPES,
    CMV_SYNONYMS,
    DONOR_KIND_SYNONYMS,
    FIRST_BIRTH_YEAR,
    SEX_SYNONYMS,
    InvalidValue,
    SynonymTable,
    read_birth_year,
    read_cell_count,
    read_donor_id,
)
from engraft.hla.search.donor_store import DonorStore
from engraft.hla.search.store_codes import ABO, CMV, SEX
from engraft.io.donor_files import import_atlas_json, import_csv, import_json
from engraft.vocabulary import AboGroup, DonorKind, Serostatus, Sex

TABLES = [
    pytest.param(DONOR_KIND_SYNONYMS, list(DonorKind), id="donor-kind"),
    pytest.param(SEX_SYNONYMS, list(Sex), id="sex"),
    pytest.param(CMV_SYNONYMS, list(Serostatus), id="cmv"),
    pytest.param(ABO_SYNONYMS, list(AboGroup), id="abo"),
]


@pytest.mark.parametrize(("table", "members"), TABLES)
def test_every_vocabulary_value_is_read_under_its_own_name(table: SynonymTable[object], members: list[object]) -> None:
    for member in members:
        assert table.read(1, "f", str(getattr(member, "value", member))) == member
    assert set(table.synonyms.values()) >= set(members)


@pytest.mark.parametrize(
    ("table", "raw", "expected"),
    [
        pytest.param(CMV_SYNONYMS, "+", Serostatus.POSITIVE, id="cmv-plus"),
        pytest.param(CMV_SYNONYMS, "-", Serostatus.NEGATIVE, id="cmv-minus"),
        pytest.param(CMV_SYNONYMS, " Pos ", Serostatus.POSITIVE, id="cmv-pos-any-case"),
        pytest.param(CMV_SYNONYMS, "NEG", Serostatus.NEGATIVE, id="cmv-neg"),
        pytest.param(CMV_SYNONYMS, "Non-Reactive", Serostatus.NEGATIVE, id="cmv-non-reactive"),
        pytest.param(CMV_SYNONYMS, "1", Serostatus.POSITIVE, id="cmv-flag-1"),
        pytest.param(CMV_SYNONYMS, "indeterminate", Serostatus.EQUIVOCAL, id="cmv-indeterminate"),
        pytest.param(CMV_SYNONYMS, "", Serostatus.UNKNOWN, id="cmv-empty"),
        pytest.param(CMV_SYNONYMS, None, Serostatus.UNKNOWN, id="cmv-absent"),
        pytest.param(SEX_SYNONYMS, "M", Sex.MALE, id="sex-m"),
        pytest.param(SEX_SYNONYMS, "f", Sex.FEMALE, id="sex-f"),
        pytest.param(SEX_SYNONYMS, "O", Sex.OTHER, id="sex-o"),
        pytest.param(SEX_SYNONYMS, "", Sex.UNKNOWN, id="sex-empty"),
        pytest.param(ABO_SYNONYMS, "ab+", AboGroup.AB, id="abo-with-rh"),
        pytest.param(ABO_SYNONYMS, "0-", AboGroup.O, id="abo-zero-for-o"),
        pytest.param(ABO_SYNONYMS, "unknown", None, id="abo-unknown"),
        pytest.param(ABO_SYNONYMS, "", None, id="abo-empty"),
        pytest.param(DONOR_KIND_SYNONYMS, "CBU", DonorKind.CORD, id="kind-cbu"),
        pytest.param(DONOR_KIND_SYNONYMS, "", DonorKind.ADULT, id="kind-empty-is-adult"),
        pytest.param(ATLAS_DONOR_TYPES, "c", DonorKind.CORD, id="atlas-c"),
        pytest.param(ATLAS_CHANGE_TYPES, "NU", "upsert", id="atlas-nu"),
        pytest.param(ATLAS_CHANGE_TYPES, None, "upsert", id="atlas-change-absent-is-new"),
    ],
)
def test_named_spellings(table: SynonymTable[object], raw: object, expected: object) -> None:
    assert table.read(7, "field", raw) == expected


@pytest.mark.parametrize(
    ("table", "raw", "expected_part"),
    [
        pytest.param(CMV_SYNONYMS, "postive", "'positive'", id="cmv-misspelt"),
        pytest.param(CMV_SYNONYMS, "true", "'pos'", id="cmv-boolean"),
        pytest.param(SEX_SYNONYMS, "mail", "'male'", id="sex-misspelt"),
        pytest.param(ABO_SYNONYMS, "A1", "Rh D sign", id="abo-subgroup"),
        pytest.param(ABO_SYNONYMS, "A pos", "'a+'", id="abo-rh-word"),
        pytest.param(DONOR_KIND_SYNONYMS, "sibling", "'cord'", id="kind-sibling"),
        pytest.param(ATLAS_DONOR_TYPES, "B", "banked", id="atlas-banked"),
        pytest.param(ATLAS_DONOR_TYPES, "", "required", id="atlas-type-required"),
        pytest.param(ATLAS_CHANGE_TYPES, "X", "'nu'", id="atlas-change-x"),
    ],
)
def test_unrecognised_values_name_donor_field_value_and_expectation(
    table: SynonymTable[object], raw: str, expected_part: str
) -> None:
    problem = table.read(7, "field", raw)
    assert isinstance(problem, InvalidValue)
    assert (problem.donor_id, problem.field, problem.value) == (7, "field", raw.strip())
    assert expected_part in problem.expected and table.what in problem.expected


@given(st.text(max_size=12))
def test_a_value_is_read_only_if_its_table_lists_it(raw: str) -> None:
    """Property: no spelling outside the table becomes a value (nothing is silently taken as unknown)."""
    result = CMV_SYNONYMS.read(1, "cmv", raw)
    key = raw.strip().lower()
    if not key:
        assert result is Serostatus.UNKNOWN
    elif key in CMV_SYNONYMS.synonyms:
        assert result is CMV_SYNONYMS.synonyms[key]
    else:
        assert isinstance(result, InvalidValue) and result.value == raw.strip()


def test_tables_hold_only_lower_case_spellings() -> None:
    with pytest.raises(ValueError, match="lower case"):
        SynonymTable("sex", {"Male": Sex.MALE}, empty=Sex.UNKNOWN)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(str(FIRST_BIRTH_YEAR - 1), None, id="before-1900"),
        pytest.param(str(FIRST_BIRTH_YEAR), FIRST_BIRTH_YEAR, id="1900"),
        pytest.param(str(datetime.now(UTC).year), datetime.now(UTC).year, id="this-year"),
        pytest.param(str(datetime.now(UTC).year + 1), None, id="next-year"),
        pytest.param("0", 0, id="zero-unknown"),
        pytest.param("", 0, id="empty-unknown"),
        pytest.param("19x0", None, id="not-a-number"),
        pytest.param("99999", None, id="beyond-int16"),
    ],
)
def test_birth_year_bounds(raw: str, expected: int | None) -> None:
    result = read_birth_year(3, "birth_year", raw)
    if expected is None:
        assert isinstance(result, InvalidValue) and result.value == raw and "1900" in result.expected
    else:
        assert result == expected


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        pytest.param("0", True, id="zero"),
        pytest.param("150.5", True, id="decimal"),
        pytest.param("-1", False, id="negative"),
        pytest.param("nan", False, id="nan"),
        pytest.param("inf", False, id="infinite"),
        pytest.param("many", False, id="word"),
    ],
)
def test_cell_counts(raw: str, ok: bool) -> None:
    result = read_cell_count(3, "tnc", raw, "10^7 cells")
    if ok:
        assert result == float(raw)
    else:
        assert isinstance(result, InvalidValue) and "10^7 cells" in result.expected


def test_donor_ids() -> None:
    assert read_donor_id("007", "donor_id") == 7
    for raw in ("-3", "x", "", None):
        problem = read_donor_id(raw, "donor_id")
        assert isinstance(problem, InvalidValue) and problem.donor_id == -1


HLA_COLUMNS = {"A_1": "A*01:01", "A_2": "A*02:01", "B_1": "B*07:02", "B_2": "B*08:01", "DRB1_1": "DRB1*15:01"}


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=sorted({k for r in rows for k in r}))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_donor_with_unrecognised_values_is_rejected_and_every_field_reported(
    tmp_path: Path, nom: Nomenclature
) -> None:
    rows = [
        {"donor_id": "1", "sex": "F", "cmv": "+", "abo": "0+", **HLA_COLUMNS},
        {"donor_id": "2", "sex": "mail", "cmv": "postive", "abo": "B", **HLA_COLUMNS},
        {"donor_id": "3", "sex": "", "cmv": "", "abo": "", "birth_year": "1875", **HLA_COLUMNS},
        {"donor_id": "4", "sex": "m", "cmv": "neg", "abo": "A", "A_1": "A*9:99", "B_1": "B*07:02", "DRB1_1": "DR15"},
    ]
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    report = import_csv(store, nom, _write_csv(tmp_path / "d.csv", rows))
    assert (report.read, report.stored, report.rejected_donors) == (4, 1, 3)
    assert store.donor_ids().tolist() == [1]
    assert [(v.donor_id, v.field, v.value) for v in report.invalid_values] == [
        (2, "sex", "mail"),
        (2, "cmv", "postive"),
        (3, "birth_year", "1875"),
    ]
    assert all(v.expected for v in report.invalid_values)
    assert [(i.donor_id, i.locus, i.token) for i in report.invalid] == [(4, "A", "A*9:99")]
    seg = store.segments()[0]
    stored = (SEX.value(seg.columns["sex"][0]), CMV.value(seg.columns["cmv"][0]), ABO.value(seg.columns["abo"][0]))
    assert stored == (Sex.FEMALE, Serostatus.POSITIVE, AboGroup.O)


def test_atlas_change_types_are_checked(tmp_path: Path, nom: Nomenclature) -> None:
    hla = {"A": {"Dna": {"Field1": "*01:01"}}, "B": {"Ser": {"Field1": "7"}}, "DRB1": {"Dna": {"Field1": "*15:01"}}}
    donors = [
        {"RecordId": 1, "DonorType": "D", "Hla": hla},  # no ChangeType: new, as in Atlas
        {"RecordId": 2, "ChangeType": "X", "DonorType": "D", "Hla": hla},
        {"RecordId": 3, "ChangeType": "N", "DonorType": "D", "Hla": hla},
    ]
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    first = import_atlas_json(store, nom, {"donors": donors})
    assert sorted(store.donor_ids().tolist()) == [1, 3]
    assert [(v.donor_id, v.field, v.value) for v in first.invalid_values] == [(2, "ChangeType", "X")]
    second = import_atlas_json(store, nom, {"donors": [{"RecordId": "three", "ChangeType": "D"}, "not a donor"]})
    assert second.removed == 0 and second.rejected_donors == 2
    assert [(v.donor_id, v.field) for v in second.invalid_values] == [(-1, "RecordId"), (-1, "donor")]


def test_a_json_entry_that_is_not_an_object_is_reported(tmp_path: Path, nom: Nomenclature) -> None:
    path = tmp_path / "donors.json"
    path.write_text(json.dumps([{"donor_id": 1, "cmv": "neg", "gl": "A*01:01^B*07:02^DRB1*15:01"}, 5]))
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    report = import_json(store, nom, path)
    assert (report.stored, report.rejected_donors) == (1, 1)
    assert [(v.donor_id, v.field, v.value) for v in report.invalid_values] == [(-1, "donor", "5")]
