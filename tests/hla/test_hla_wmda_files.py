"""WMDA file parsing, including detection of the pre-2026 and 2026 (HATS) rel_dna_ser layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from engraft.hla import HlaReleaseError, Nomenclature
from engraft.hla.nomenclature.release_files import detect_rel_dna_ser_format, parse_rel_dna_ser, parse_rel_ser_ser

HEADER = "# file: rel_dna_ser.txt\n# version: IPD-IMGT/HLA 3.64.0\n"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rel_dna_ser.txt"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_pre2026_layout(tmp_path: Path) -> None:
    path = _write(tmp_path, "A*;01:01:01:01;1;;;\nA*;66:01:01:01;66;;;26/34\nA*;01:01:38L;;0/1;;\n")
    fmt, rows = parse_rel_dna_ser(path)
    assert fmt == "pre2026"
    assert rows[1].expert == ("26", "34")
    assert rows[2].possible == ("0", "1")
    assert rows[0].hats == ""


def test_hats2026_layout(tmp_path: Path) -> None:
    path = _write(tmp_path, "A*;01:07;1;;;;3002\nA*;01:01:01:01;1;;;;1\n")
    fmt, rows = parse_rel_dna_ser(path)
    assert fmt == "hats2026"
    assert rows[0].hats == "3002"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("A*;01:01;1;;\n", id="five-fields"),
        pytest.param("A*;01:01;1;;;;;;\n", id="eight-fields"),
        pytest.param("", id="no-data"),
    ],
)
def test_unknown_layout_rejected(tmp_path: Path, body: str) -> None:
    with pytest.raises(HlaReleaseError):
        detect_rel_dna_ser_format(_write(tmp_path, body))


def test_mixed_layout_rejected(tmp_path: Path) -> None:
    with pytest.raises(HlaReleaseError, match="7 fields"):
        parse_rel_dna_ser(_write(tmp_path, "A*;01:07;1;;;;3002\nA*;01:01:01:01;1;;;\n"))


def test_rel_ser_ser(imgt_dir: Path) -> None:
    rows = {(r.locus, r.antigen): r for r in parse_rel_ser_ser(imgt_dir / "wmda" / "rel_ser_ser.txt")}
    assert rows[("A", "9")].splits == ("23", "24")
    assert rows[("B", "21")].associated == ("4005",)


def test_nomenclature_reads_2026_layout_and_hats_source(imgt_dir: Path, tmp_path: Path) -> None:
    """A release directory whose rel_dna_ser has the 7th (HATS) field, built in tmp_path."""
    root = tmp_path / "release"
    (root / "wmda").mkdir(parents=True)
    (root / "tce").mkdir()
    for rel in ("wmda/hla_nom.txt", "wmda/hla_nom_g.txt", "wmda/hla_nom_p.txt", "wmda/rel_ser_ser.txt"):
        (root / rel).symlink_to(imgt_dir / rel)
    (root / "tce" / "dpb_tce.csv").symlink_to(imgt_dir / "tce" / "dpb_tce.csv")
    (root / "Allelelist.txt").symlink_to(imgt_dir / "Allelelist.txt")
    # a tiny synthetic 7-field file: A*01:01:01:01 keeps A1, A*02:01:01:01 gets HATS specificity 203
    (root / "wmda" / "rel_dna_ser.txt").write_text(
        HEADER + "A*;01:01:01:01;1;;;;1\nA*;02:01:01:01;2;;;;203\n", encoding="utf-8"
    )
    who = Nomenclature.load(root)
    hats = Nomenclature.load(root, serology_source="hats")
    assert who.rel_dna_ser_format == hats.rel_dna_ser_format == "hats2026"
    code = who.allele_code("A*02:01:01:01")
    assert who.antigens_of(code) == ("A2",)
    assert hats.antigens_of(code) == ("A203",)
