"""NMDP multiple-allele codes read from a hand-written file in the standard layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from engraft.hla import HlaNomenclatureError, HlaReleaseError, MacDictionary, Nomenclature, Resolution, typed_position


def test_file_is_parsed_skipping_header(macs: MacDictionary, mac_file: Path) -> None:
    assert len(macs) == 5
    assert macs.codes["AB"] == ("01", "02")
    assert macs.codes["GEN"] == ("01:01", "02:01")
    assert macs.source == str(mac_file)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        pytest.param("A*01:AB", ("A*01:01", "A*01:02"), id="generic-first-field-01"),
        pytest.param("A*02:AB", ("A*02:01", "A*02:02"), id="generic-first-field-02"),
        pytest.param("HLA-B*07:AC", ("B*07:01", "B*07:03"), id="generic-hla-prefix"),
        pytest.param("A*01:GEN", ("A*01:01", "A*02:01"), id="allele-specific"),
        pytest.param("A*24:GEN", ("A*01:01", "A*02:01"), id="allele-specific-ignores-typed-field"),
    ],
)
def test_expand_names(macs: MacDictionary, token: str, expected: tuple[str, ...]) -> None:
    assert macs.expand(token) == expected


def test_nomenclature_expands_mac_to_alleles(nom: Nomenclature, macs: MacDictionary) -> None:
    exp = nom.expand("A*01:AB", mac=macs)
    assert exp.resolution is Resolution.MAC
    names = {nom.allele_names[c] for c in exp.alleles}
    assert "A*01:01:01:01" in names and "A*01:02:01:01" in names
    assert not any(n.startswith("A*03") for n in names)


def test_mac_with_null_keeps_null_but_position_is_expressed(nom: Nomenclature, macs: MacDictionary) -> None:
    pos = typed_position(nom, "A*01:NUL", mac=macs)
    assert any(nom.is_null[c] for c in pos.alleles)
    assert not pos.is_null  # nulls inside a MAC are ignored for P-group matching (Atlas)
    assert pos.p_groups == typed_position(nom, "A*01:01").p_groups


@pytest.mark.parametrize(
    ("token", "fragment"),
    [
        pytest.param("A*01:ZZZ", "'ZZZ' is not in the MAC list", id="unknown-code"),
        pytest.param("A*01:BAD", "'A*99:99'", id="decodes-to-unknown-allele"),
    ],
)
def test_invalid_mac_rejected(nom: Nomenclature, macs: MacDictionary, token: str, fragment: str) -> None:
    with pytest.raises(HlaNomenclatureError) as info:
        nom.expand(token, mac=macs)
    assert info.value.token == token
    assert fragment in str(info.value)
    assert "3.58.0" in str(info.value)


def test_bad_allele_list_line_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("\tAB\t01/x2\n", encoding="utf-8")
    with pytest.raises(HlaReleaseError, match="line 1"):
        MacDictionary.from_file(path)


def test_xx_is_not_a_mac(macs: MacDictionary) -> None:
    with pytest.raises(HlaNomenclatureError, match="malformed MAC"):
        macs.expand("A*01:XX")
