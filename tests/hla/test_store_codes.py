"""The donor store's attribute codes: exhaustive over the vocabulary, distinct, stable for existing stores."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import pytest

from engraft.hla import Nomenclature
from engraft.hla.search import DonorSearch, SearchCriteria, patient_typing
from engraft.hla.search.donor_store import DonorStore
from engraft.hla.search.ranking import SEX_KEY
from engraft.hla.search.store_codes import (
    ABO,
    CMV,
    COLUMN_CODES,
    DONOR_KIND,
    SEX,
    ColumnCodes,
    check_manifest_codes,
    manifest_codes,
)
from engraft.io.donor_files import import_json
from engraft.vocabulary import AboGroup, DonorKind, Serostatus, Sex

#: The codes of every store written before the codes came from the vocabulary (the old IntEnums of
#: donor_batch.py: DonorType, Sex, Cmv, Abo). They must never change meaning.
LEGACY_CODES = {
    "donor_type": {"adult": 0, "cord": 1},
    "sex": {"unknown": 0, "male": 1, "female": 2},
    "cmv": {"unknown": 0, "negative": 1, "positive": 2},
    "abo": {"unknown": 0, "O": 1, "A": 2, "B": 3, "AB": 4},
}

COLUMNS = [
    pytest.param(DONOR_KIND, list(DonorKind), id="donor-kind"),
    pytest.param(SEX, list(Sex), id="sex"),
    pytest.param(CMV, list(Serostatus), id="cmv-serostatus"),
    pytest.param(ABO, [*AboGroup, None], id="abo-or-unknown"),
]


@pytest.mark.parametrize(("codes", "values"), COLUMNS)
def test_every_vocabulary_value_has_a_code_that_round_trips(codes: ColumnCodes[object], values: list[object]) -> None:
    assert set(codes.codes) == set(values)
    for value in values:
        assert codes.value(codes.code(value)) == value
    assert [codes.value(c) for c in codes.encode(values).tolist()] == values


@pytest.mark.parametrize(("codes", "values"), COLUMNS)
def test_codes_are_distinct_bytes(codes: ColumnCodes[object], values: list[object]) -> None:
    numbers = [codes.code(v) for v in values]
    assert len(set(numbers)) == len(numbers)
    assert all(0 <= n <= 255 for n in numbers)


def test_every_coded_column_is_listed() -> None:
    assert set(COLUMN_CODES) == {"donor_type", "sex", "cmv", "abo"}


def test_codes_of_existing_stores_keep_their_meaning() -> None:
    current = manifest_codes()
    for column, table in LEGACY_CODES.items():
        assert {label: current[column][label] for label in table} == table, column


def test_a_vocabulary_member_without_a_code_is_refused() -> None:
    class GrownSerostatus(StrEnum):  # the vocabulary after someone added a member
        POSITIVE = "positive"
        NEGATIVE = "negative"
        EQUIVOCAL = "equivocal"
        UNKNOWN = "unknown"
        NOT_TESTED = "not tested"

    old = {GrownSerostatus(s.value): c for s, c in CMV.codes.items()}
    with pytest.raises(ValueError, match=r"without a code: \['not tested'\]"):
        ColumnCodes("cmv", GrownSerostatus, old)
    ColumnCodes("cmv", GrownSerostatus, {**old, GrownSerostatus.NOT_TESTED: 4})  # with a code it is accepted


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param({Sex.UNKNOWN: 0, Sex.MALE: 1, Sex.FEMALE: 1, Sex.OTHER: 3}, "code 1 given to both", id="dup"),
        pytest.param({Sex.UNKNOWN: 0, Sex.MALE: 1, Sex.FEMALE: 2, Sex.OTHER: 256}, "not a uint8", id="too-big"),
        pytest.param({Sex.UNKNOWN: 0, Sex.MALE: 1, Sex.FEMALE: 2, Sex.OTHER: 3, None: 4}, "not a member", id="extra"),
    ],
)
def test_bad_code_tables_are_refused(table: dict[Sex | None, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ColumnCodes("sex", Sex, table)


def test_an_unknown_stored_code_is_named() -> None:
    with pytest.raises(ValueError, match=r"store column 'cmv' holds code 9"):
        CMV.value(9)


def test_the_sex_ranking_key_covers_every_member() -> None:
    assert set(SEX_KEY) == set(Sex)


@pytest.mark.parametrize(
    ("recorded", "message"),
    [
        pytest.param({"cmv": {"positive": 1}}, "stores 'positive' as code 1", id="other-code"),
        pytest.param({"sex": {"intersex": 4}}, "value 'intersex'", id="value-not-in-vocabulary"),
        pytest.param({"rhd": {"positive": 1}}, "code table 'rhd'", id="unknown-column"),
        pytest.param(["cmv"], "not an object", id="not-an-object"),
    ],
)
def test_manifest_codes_that_disagree_are_refused(recorded: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_manifest_codes(recorded, store="s")


def test_manifest_codes_may_lack_newer_values() -> None:
    check_manifest_codes(None, store="s")  # written before the manifest recorded codes
    check_manifest_codes(LEGACY_CODES, store="s")  # written before Sex.OTHER and equivocal CMV had codes


def _donor_file(tmp_path: Path) -> Path:
    hla = {"A": ["A*01:01", "A*02:01"], "B": ["B*07:02", "B*08:01"], "DRB1": ["DRB1*15:01", "DRB1*03:01"]}
    donors = [
        {"donor_id": 1, "sex": "male", "cmv": "negative", "abo": "AB", "birth_year": 1990, "hla": hla},
        {"donor_id": 2, "sex": "other", "cmv": "equivocal", "abo": "", "birth_year": 1991, "hla": hla},
    ]
    path = tmp_path / "donors.json"
    path.write_text(json.dumps(donors))
    return path


def test_store_records_its_codes_and_refuses_others(tmp_path: Path, nom: Nomenclature) -> None:
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    import_json(store, nom, _donor_file(tmp_path))
    manifest_path = tmp_path / "s" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["attribute_codes"] == manifest_codes()
    manifest["attribute_codes"]["cmv"]["positive"] = 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=r"column 'cmv' stores 'positive' as code 1"):
        DonorStore.open(tmp_path / "s")


def test_store_without_recorded_codes_reads_as_before(tmp_path: Path, nom: Nomenclature) -> None:
    """A store written before the manifest recorded its codes opens, decodes, and gains the table on its next write."""
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    import_json(store, nom, _donor_file(tmp_path))
    manifest_path = tmp_path / "s" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["attribute_codes"]
    manifest_path.write_text(json.dumps(manifest))
    old = DonorStore.open(tmp_path / "s")
    gl = "A*01:01+A*02:01^B*07:02+B*08:01^DRB1*15:01+DRB1*03:01"
    criteria = SearchCriteria(loci=("A", "B", "DRB1"), patient_cmv=Serostatus.NEGATIVE, reference_year=2026)
    donors = DonorSearch(old, nom).search(patient_typing(nom, gl), criteria).donors
    assert [(d.donor_id, d.sex, d.cmv, d.abo, d.donor_type) for d in donors] == [
        (1, Sex.MALE, Serostatus.NEGATIVE, AboGroup.AB, DonorKind.ADULT),
        (2, Sex.OTHER, Serostatus.EQUIVOCAL, None, DonorKind.ADULT),
    ]
    old.remove([2])
    assert json.loads(manifest_path.read_text())["attribute_codes"] == manifest_codes()
