"""The columnar CSV import (issue 13: 1 M donors < 60 s) gives what the per-record import gives.

The same file, with every kind of problem a donor file has (unreadable ids, values a field does not take,
allele names the release does not know, a required locus missing, invalid typings, short rows, repeated
ids, ``ethnicity`` and ``ethn``), is imported by both paths; the reports and the stored donors must agree,
for one chunk and for several. The columnar path writes once: the store has one new segment.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import pytest

from engraft.hla import Nomenclature
from engraft.hla.search.donor_columns import import_columns
from engraft.hla.search.donor_import import donor_record, import_records
from engraft.hla.search.donor_store import DonorStore
from engraft.io.donor_files import _csv_columns, read_donor_file
from tests.io.donor_store_content import store_content

HEADER = (
    "donor_id,registry,ethnicity,ethn,birth_year,sex,cmv,abo,donor_type,tnc,cd34,A_1,A_2,B_1,B_2,DRB1_1,DRB1_2,C_1,C_2"
)
ROWS = [
    "1,R1,EUR,,1980,M,pos,O+,,,,A*02:01,A*24:02,B*07:02,B*08:01,DRB1*15:01,DRB1*04:01,C*07:01,",
    "2,R2,,AFA,1990,f,neg,AB,adult,,,A*01:01,,B*08:01,B*44:02,DRB1*03:01,DRB1*03:01,,",
    "x3,R1,,,1980,M,pos,O,,,,A*02:01,A*24:02,B*07:02,B*08:01,DRB1*15:01,DRB1*04:01,,",  # unreadable id
    "4,R1,,,1850,M,postive,O,,,,A*02:01,A*24:02,B*07:02,B*08:01,DRB1*15:01,DRB1*04:01,,",  # two bad values
    "5, R2 ,EUR,,,u,,,cord,12.5,3.1,A*02:999,A*24:02,B*07:02,B*08:01,DRB1*15:01,DRB1*04:01,,",  # unknown allele
    "6,R3,,,,,,,,,,A*02:01,A*24:02,,,DRB1*15:01,DRB1*04:01,,",  # B missing
    "7,R3,,,,,,,,,,A*02:01,A*24:02,B*07:02,B*1:01,DRB1*15:01,DRB1*04:01,,",  # malformed token
    "8,R1,API,,2000,F,neg,A-,,,,A*02:01/A*02:999,A*03:01,B7,B8,DRB1*15:XX,DR4,,",  # list, serology, XX
    "1,R9,EUR,,1981,M,pos,O,,,,A*02:01,A*24:02,B*07:02,B*08:01,DRB1*15:01,DRB1*04:01,,",  # repeated id
    "9,R1,,,1980,M",  # short row
    "99999999999999999999,R1,,,1980,M,pos,O,,,,A*02:01,A*24:02,B*07:02,B*08:01,DRB1*15:01,DRB1*04:01,,",  # > int64
    "10,R1,,,1980,M,pos,O,,-1,,A*02:01,A*24:02,B*07:02,B*08:01,DRB1*15:01,DRB1*04:01,C*99:99,C*07:01",
]


@pytest.fixture(scope="module")
def nom(imgt_dir: Path) -> Nomenclature:
    return Nomenclature.load(imgt_dir)


@pytest.mark.parametrize("chunk_size", [pytest.param(100, id="one-chunk"), pytest.param(3, id="chunks-of-3")])
def test_columns_and_records_give_the_same_import(tmp_path: Path, nom: Nomenclature, chunk_size: int) -> None:
    path = tmp_path / "d.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    checked = read_donor_file(path)
    columns = _csv_columns(checked)
    assert columns is not None
    by_columns = DonorStore.create(tmp_path / "columns", release=nom.release)
    fast = import_columns(by_columns, nom, columns, chunk_size=chunk_size)
    by_records = DonorStore.create(tmp_path / "records", release=nom.release)
    text = path.read_text(encoding="utf-8")
    records = (donor_record(nom, r) for r in csv.DictReader(io.StringIO(text, newline="")))
    slow = import_records(by_records, nom, records, total=checked.count, chunk_size=chunk_size)
    # one write: a repeated id counts once (the last row wins); chunk by chunk it was stored, then replaced
    assert dataclasses.replace(slow, stored=fast.stored, replaced=fast.replaced) == fast
    assert (fast.read, fast.stored, fast.replaced) == (12, 4, 0)  # 1 (last row), 2, 5, 8 stored
    assert store_content(by_columns) == store_content(by_records)
    assert store_content(by_columns)[1][1] == "R9"
    assert len(by_columns.segments()) == 1  # written once


def test_a_gl_column_is_read_by_the_columnar_path(tmp_path: Path, nom: Nomenclature) -> None:
    path = tmp_path / "d.csv"
    path.write_text("donor_id,gl\n1,A*02:01+A*24:02^B*07:02+B*08:01^DRB1*15:01+DRB1*04:01\n", encoding="utf-8")
    columns = _csv_columns(read_donor_file(path))
    assert columns is not None and list(columns["gl"]) == ["A*02:01+A*24:02^B*07:02+B*08:01^DRB1*15:01+DRB1*04:01"]
